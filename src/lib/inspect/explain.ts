// The error explainer: what an OAuth error code means, why it probably happened and what to check,
// in plain words for a developer looking at a failed request. Framework-free: no svelte, $app or
// $env imports. The explanations never repeat the code or description they were given, so the UI
// can show them as they are and must render the server's own words as text.
//
// The texts are in explain-texts.ts; explain-readings.ts picks the one that fits the context.
import {
  PROVIDER_EXPLAINERS,
  corsBlocked,
  invalidClient,
  invalidGrant,
  invalidRequest,
  invalidResponse,
  invalidScope,
  invalidToken,
  networkError,
  rateLimited,
  readWords,
  redirectMismatch,
  serverError,
  timeout,
  unauthorizedClient,
  unsupportedTokenType,
  type Explainer,
} from './explain-readings.js';
import { FIXED_TEXTS, PROMPT_NONE, STATE_MISMATCH, UNRECOGNIZED } from './explain-texts.js';

/**
 * Which endpoint answered; it decides how a code is read (`invalid_grant` at refresh is not at code
 * exchange, `unsupported_token_type` at introspection is not at revocation). `par` is the pushed
 * authorization request endpoint, whose errors read as the authorization endpoint's (RFC 9126 §2.3);
 * `discovery` is the server's metadata document; `resource` is an API or the UserInfo endpoint;
 * `route` is Fieldpass's own server route (the client-credentials tester).
 */
export type ErrorWhere =
  'authorization' | 'par' | 'token' | 'refresh' | 'introspection' | 'revocation' | 'resource' | 'route' | 'discovery';

/** What oauth4webapi reported when it refused an answer: its error code and, for a comparison, the attribute compared. */
export interface ProcessingFailure {
  /** oauth4webapi's code, such as `OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED`. */
  code?: string;
  /** The attribute compared, such as `iss` or `issuer`. */
  attribute?: string;
}

/** What else is known about the failure. */
export interface ErrorContext {
  where?: ErrorWhere;
  /** The server's `error_description`; only used to pick the likeliest cause, never repeated. */
  description?: string;
  /**
   * The inspector itself sent a code it had already exchanged: a fact it knows, not a guess from
   * the description (servers such as oidc-provider do not say why they refuse a code).
   */
  codeReplayed?: boolean;
  /** The server-side provider (M2M_PROVIDERS) a route error is about, to name its variables. */
  provider?: string;
  /** The HTTP status of the response. */
  status?: number;
  /** The `scope` value that was requested, to check Fenergo's length limit. */
  scope?: string;
  /** For Fieldpass's `invalid_response`: what oauth4webapi found wrong with the answer. */
  processing?: ProcessingFailure;
}

/**
 * Who defines the code: an RFC or OpenID spec (`standard`), a server vendor (`non-standard`),
 * Fieldpass itself for failures that carry no OAuth code (`client`), Fieldpass's own server route
 * (`route`), or nobody known (`unrecognized`).
 */
export type ErrorSource = 'standard' | 'non-standard' | 'client' | 'route' | 'unrecognized';

/** An error code explained for a developer under pressure. */
export interface Explanation {
  /** The code explained: the canonical spelling when recognised, else the input as given. */
  code: string;
  title: string;
  meaning: string;
  likelyCauses: string[];
  whatToCheck: string[];
  /** The sections that define the code or the rule behind it. */
  spec: string[];
  source: ErrorSource;
  /** Which reading of the code was chosen from the context, such as `code-reused`; stable ids. */
  variant?: string;
  /**
   * The code covers several causes and nothing known (the description included) says which: the
   * UI says so instead of picking one.
   */
  undetermined?: boolean;
}

/** An explanation without its code: what the texts hold and the readings return. */
export type ExplanationText = Omit<Explanation, 'code'>;

/** The explainer of a code whose text is the same in every context. */
const fixed =
  (text: ExplanationText): Explainer =>
  () =>
    text;

const EXPLAINERS: Record<string, Explainer> = {
  invalid_request: invalidRequest,
  state_mismatch: fixed(STATE_MISMATCH),
  invalid_response: invalidResponse,
  unauthorized_client: unauthorizedClient,
  access_denied: fixed(FIXED_TEXTS.access_denied),
  unsupported_response_type: fixed(FIXED_TEXTS.unsupported_response_type),
  invalid_scope: invalidScope,
  server_error: serverError,
  temporarily_unavailable: fixed(FIXED_TEXTS.temporarily_unavailable),
  invalid_client: invalidClient,
  invalid_grant: invalidGrant,
  unsupported_grant_type: fixed(FIXED_TEXTS.unsupported_grant_type),
  invalid_token: invalidToken,
  insufficient_scope: fixed(FIXED_TEXTS.insufficient_scope),
  unsupported_token_type: unsupportedTokenType,
  invalid_dpop_proof: fixed(FIXED_TEXTS.invalid_dpop_proof),
  use_dpop_nonce: fixed(FIXED_TEXTS.use_dpop_nonce),
  invalid_target: fixed(FIXED_TEXTS.invalid_target),
  login_required: fixed(PROMPT_NONE.login_required),
  consent_required: fixed(PROMPT_NONE.consent_required),
  interaction_required: fixed(PROMPT_NONE.interaction_required),
  account_selection_required: fixed(PROMPT_NONE.account_selection_required),
  redirect_uri_mismatch: redirectMismatch('non-standard', []),
  invalid_redirect_uri: redirectMismatch('non-standard', ['RFC 7591 §3.2.2']),
  redirect_mismatch: redirectMismatch('non-standard', []),
  cors_blocked: corsBlocked,
  csp_blocked: fixed(FIXED_TEXTS.csp_blocked),
  network_error: networkError,
  timeout,
  rate_limited: rateLimited,
  ...PROVIDER_EXPLAINERS,
  upstream_timeout: fixed(FIXED_TEXTS.upstream_timeout),
  upstream_forbidden: fixed(FIXED_TEXTS.upstream_forbidden),
  upstream_rejected: fixed(FIXED_TEXTS.upstream_rejected),
  unknown_provider: fixed(FIXED_TEXTS.unknown_provider),
  service_unavailable: fixed(FIXED_TEXTS.service_unavailable),
  not_allowed: fixed(FIXED_TEXTS.not_allowed),
};

/** Every code the explainer recognises, in the spellings servers send; anything else gets a generic explanation. */
export const KNOWN_ERROR_CODES: readonly string[] = Object.freeze(Object.keys(EXPLAINERS));

function unrecognized(code: string, status: number | undefined): Explanation {
  const text = structuredClone(code.trim() === '' ? UNRECOGNIZED.none : UNRECOGNIZED.code);
  if (status !== undefined && status >= 500)
    text.likelyCauses.push(`HTTP ${status} points to a failure at the server.`);
  if (status === 401 || status === 403)
    text.likelyCauses.push(`HTTP ${status} points to refused credentials or permissions.`);
  return { code, ...text };
}

/**
 * Explains an OAuth error code (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1; RFC 7009 §2.2.1; RFC 9449;
 * RFC 8707; OpenID Connect Core §3.1.2.6), a common vendor code, or one of Fieldpass's own
 * pseudo-codes for failures without one: `state_mismatch`, `invalid_response` (read from
 * oauth4webapi's code in `processing`), `cors_blocked`, `network_error`, `timeout`,
 * `rate_limited`, or a code of its own server route (`upstream_auth_failed`, …). The description
 * picks the reading where servers word one failure under several codes (a redirect URI not
 * registered, an unknown client, a spent or expired code, a PKCE mismatch). With no code, HTTP 429
 * reads as `rate_limited` and 5xx as `server_error`.
 */
export function explainError(code: string, context: ErrorContext = {}): Explanation {
  let key = code.trim().toLowerCase();
  if (key === '' && context.status === 429) key = 'rate_limited';
  else if (key === '' && context.status !== undefined && context.status >= 500) key = 'server_error';
  const explain = Object.hasOwn(EXPLAINERS, key) ? EXPLAINERS[key] : undefined;
  if (!explain) return unrecognized(code, context.status);
  // Only a bounded prefix is searched, so a hostile description costs nothing.
  const hint = (context.description ?? '').slice(0, 500).toLowerCase();
  // The pushed request carries the authorization request: its errors read as the authorization endpoint's.
  const readAs: ErrorContext = context.where === 'par' ? { ...context, where: 'authorization' } : context;
  // A copy: the texts are shared, and the caller may keep or change what it gets.
  const body = structuredClone(readWords(key, readAs, hint) ?? explain(readAs, hint));
  if (body.variant === undefined) delete body.variant;
  if (!body.undetermined) delete body.undetermined;
  return { code: key, ...body };
}

/** The readings that are about the redirect URI, so the page can point to its redirect-URI check. */
const REDIRECT_READINGS = new Set(['redirect-uri-unregistered', 'redirect-uri-unclear']);

/** Whether an explanation reads the failure as a redirect URI the server does not accept for this client. */
export function concernsRegisteredRedirectUri(explanation: Explanation): boolean {
  return explanation.variant !== undefined && REDIRECT_READINGS.has(explanation.variant);
}

/** What a server itself sent: its `error` and `error_description`, verbatim. */
export interface ServerError {
  error: string;
  description?: string;
  status: number;
}

/** The parts of a recorded HTTP answer this module reads. */
interface RecordedAnswer {
  response?: { status: number; headers: Record<string, string>; body: string };
}

/** The part of a step's failure this module reads: the challenge oauth4webapi parsed, if any. */
interface ChallengeFailure {
  /** The WWW-Authenticate challenge's parameters, as oauth4webapi parsed them. */
  challenge?: Partial<Record<string, string>>;
}

/**
 * The OAuth error the last recorded answer carries, as the server sent it: the JSON body's `error`
 * and `error_description` (RFC 6749 §5.2), else those of the WWW-Authenticate challenge (RFC 6750
 * §3) that oauth4webapi parsed from that answer, passed as `failure`. Undefined when no answer
 * arrived or the answer holds no error code: then any code shown is Fieldpass's own diagnosis, not
 * the server's.
 */
export function serverErrorIn(
  exchanges: readonly RecordedAnswer[],
  failure?: ChallengeFailure,
): ServerError | undefined {
  const response = exchanges.at(-1)?.response;
  if (!response) return undefined;
  try {
    const body: unknown = JSON.parse(response.body);
    if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string') {
      const { error, error_description } = body as { error: string; error_description?: unknown };
      const description = typeof error_description === 'string' ? error_description : undefined;
      return { error, description, status: response.status };
    }
  } catch {
    // Not JSON: the challenge header may still carry the error.
  }
  const error = failure?.challenge?.error;
  if (error === undefined) return undefined;
  return { error, description: failure?.challenge?.error_description, status: response.status };
}
