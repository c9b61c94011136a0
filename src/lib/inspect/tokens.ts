import { SECRET_FIELDS, maskMembers, maskToken } from '../base/mask.js';
// Token display helpers for the developer inspector: decode a JWT for reading, mask tokens, and
// write copyable curl commands with the secrets replaced by placeholders (checklist #64).
// Framework-free: no svelte, $app or $env imports.

/** The JWT claims that hold a time (RFC 7519 §4.1.4–§4.1.6; OIDC Core §2 for `auth_time`). */
const TIME_CLAIMS = ['exp', 'iat', 'nbf', 'auth_time'] as const;
export type TimeClaim = (typeof TIME_CLAIMS)[number];

/** One time claim, made readable. */
export interface JwtTime {
  claim: TimeClaim;
  /** The NumericDate as it appears in the token: seconds since 1970-01-01T00:00:00Z (RFC 7519 §2). */
  epochSeconds: number;
  /** The same instant in ISO 8601, UTC. */
  iso: string;
  /** Relative to the `now` given to `decodeJwt`: 'in 4 min', '2 h ago', 'now'. */
  relative: string;
}

/** A JWT taken apart for display. Nothing in it has been verified. */
export interface DecodedJwt {
  /** The JOSE header (RFC 7515 §4). */
  header: Record<string, unknown>;
  /** The claims set (RFC 7519 §4). */
  claims: Record<string, unknown>;
  /** The base64url signature part as received; empty for an unsecured JWT. */
  signature: string;
  /** True when `alg` is `none` or the signature part is empty (RFC 7519 §6): nothing protects it. */
  unsecured: boolean;
  /** The time claims present with a numeric value that a `Date` can represent, in TIME_CLAIMS order. */
  times: JwtTime[];
  /** Seconds from `now` (epoch milliseconds) until `exp`, negative once past; undefined without `exp`. */
  expiresInSeconds(now?: number): number | undefined;
}

/** Why a string could not be decoded as a JWT. */
export type JwtDecodeError =
  /** Empty after trimming. */
  | 'EMPTY'
  /** Longer than MAX_JWT_LENGTH: not decoded at all. */
  | 'TOO_LONG'
  /** Five parts: an encrypted JWT (JWE, RFC 7516 §7.1); its claims cannot be read without the key. */
  | 'ENCRYPTED'
  /** Not three dot-separated parts: an opaque token, or a truncated copy. */
  | 'NOT_A_JWT'
  /** A part holds characters outside the base64url alphabet, or a length base64url cannot have. */
  | 'BAD_ENCODING'
  /** The header or the claims are not a JSON object in UTF-8. */
  | 'BAD_JSON';

/** Tokens longer than this are not decoded (real JWTs are a few kilobytes). */
export const MAX_JWT_LENGTH = 64 * 1024;

const BASE64URL = /^[A-Za-z0-9_-]*$/;

const DECODE_MESSAGES: Record<JwtDecodeError, string> = {
  EMPTY: 'There is no token to decode.',
  TOO_LONG: `The token is longer than ${MAX_JWT_LENGTH} characters, so it was not decoded.`,
  ENCRYPTED: 'This is an encrypted JWT (JWE): only the authorization server or the API can read its claims.',
  NOT_A_JWT: 'This token is not a JWT (it does not have three parts separated by dots); it may be an opaque token.',
  BAD_ENCODING: 'A part of this token is not valid base64url, so it is not a JWT or it was cut short.',
  BAD_JSON: 'The header or the claims of this token are not a JSON object.',
};

function failure(error: JwtDecodeError): { error: JwtDecodeError; message: string } {
  return { error, message: DECODE_MESSAGES[error] };
}

/** Decodes one base64url segment (RFC 7515 §2, no padding) to a JSON object, or undefined. */
function decodeSegment(segment: string): Record<string, unknown> | 'encoding' | 'json' {
  // A base64 text of length 4n+1 cannot come from any byte string.
  if (!segment || !BASE64URL.test(segment) || segment.length % 4 === 1) return 'encoding';
  let text: string;
  try {
    const binary = atob(segment.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return 'encoding';
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'json';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'json';
  return value as Record<string, unknown>;
}

/**
 * A time difference in plain words: 'now' within a second, then whole seconds ('in 45 s'),
 * minutes ('in 4 min'), hours ('2 h ago') or days ('in 3 d'), rounded down.
 */
export function formatRelative(deltaSeconds: number): string {
  if (!Number.isFinite(deltaSeconds)) return deltaSeconds > 0 ? 'never' : 'long ago';
  const abs = Math.abs(deltaSeconds);
  if (abs < 1) return 'now';
  let amount: string;
  if (abs < 60) amount = `${Math.floor(abs)} s`;
  else if (abs < 3600) amount = `${Math.floor(abs / 60)} min`;
  else if (abs < 86400) amount = `${Math.floor(abs / 3600)} h`;
  else amount = `${Math.floor(abs / 86400)} d`;
  return deltaSeconds > 0 ? `in ${amount}` : `${amount} ago`;
}

/**
 * The time claims of a claims set, readable, relative to `now` (epoch milliseconds). A claim that is
 * not a number, or that no `Date` can hold (beyond ±8.64e12 s), is left out: it is not a NumericDate.
 */
function jwtTimes(claims: Record<string, unknown>, now: number = Date.now()): JwtTime[] {
  const times: JwtTime[] = [];
  for (const claim of TIME_CLAIMS) {
    const value = claims[claim];
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const date = new Date(value * 1000);
    if (Number.isNaN(date.getTime())) continue;
    times.push({
      claim,
      epochSeconds: value,
      iso: date.toISOString(),
      relative: formatRelative(value - now / 1000),
    });
  }
  return times;
}

/**
 * Takes a JWS compact serialization (RFC 7515 §7.1, RFC 7519 §3) apart for display: header,
 * claims and readable times. **The signature is not verified** and nothing is checked (`iss`,
 * `aud`, `exp`): the result is what the token claims, not what is true. Never make an access
 * decision on it. Input is treated as hostile: over MAX_JWT_LENGTH it is refused before any work,
 * and every failure is a code with a plain message instead of an exception.
 */
export function decodeJwt(
  token: string,
  now: number = Date.now(),
): DecodedJwt | { error: JwtDecodeError; message: string } {
  if (typeof token !== 'string') return failure('NOT_A_JWT');
  if (token.length > MAX_JWT_LENGTH) return failure('TOO_LONG');
  const value = token.trim();
  if (!value) return failure('EMPTY');
  const parts = value.split('.');
  if (parts.length === 5) return failure('ENCRYPTED');
  if (parts.length !== 3) return failure('NOT_A_JWT');
  const [headerPart, claimsPart, signature] = parts;
  // The signature is shown, never decoded, so only its alphabet is checked: documentation examples
  // such as Fenergo's `EXAMPLE_SIGNATURE` have lengths no real signature has.
  if (!BASE64URL.test(signature)) return failure('BAD_ENCODING');
  const header = decodeSegment(headerPart);
  const claims = decodeSegment(claimsPart);
  if (header === 'encoding' || claims === 'encoding') return failure('BAD_ENCODING');
  if (header === 'json' || claims === 'json') return failure('BAD_JSON');
  const exp = claims.exp;
  return {
    header,
    claims,
    signature,
    unsecured: signature === '' || (typeof header.alg === 'string' && header.alg.toLowerCase() === 'none'),
    times: jwtTimes(claims, now),
    expiresInSeconds(at: number = Date.now()) {
      return typeof exp === 'number' && Number.isFinite(exp) ? Math.floor(exp - at / 1000) : undefined;
    },
  };
}

/** Token-response members that are credentials (RFC 6749 §5.1, OIDC Core §3.1.3.3, RFC 8693 §2.2.1). */
const RESPONSE_SECRETS = new Set(['access_token', 'refresh_token', 'id_token', 'issued_token', 'device_code']);

/**
 * A copy of a token response (RFC 6749 §5.1) for display: `access_token`, `refresh_token`,
 * `id_token` (and `issued_token`, `device_code`) masked with `maskToken`; every other member kept.
 */
export function maskTokenResponse(body: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body ?? {})) {
    copy[key] = RESPONSE_SECRETS.has(key) ? maskToken(value as string) : value;
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------
// curl

/** Request headers whose values are credentials. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'dpop', 'cookie']);
const SECRET_HEADER_WORDS = /secret|token|api-?key|password|session/i;

/** Placeholders per header, so the copied command says what belongs there. */
const HEADER_PLACEHOLDERS: Record<string, string> = {
  dpop: '<dpop_proof>',
  cookie: '<cookie>',
};

/** Characters a terminal may act on or display misleadingly: C0/C1 controls, DEL, bidi controls. */
// eslint-disable-next-line no-control-regex
const UNSAFE_SHELL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * Quotes a string as one shell word. Printable text goes in single quotes, with `'` written as
 * `'\''`. Text with control or bidi characters uses ANSI-C quoting (`$'…'`, bash and zsh) with
 * every such character escaped, so pasting the command cannot run or hide anything.
 */
export function shellQuote(value: string): string {
  if (!UNSAFE_SHELL.test(value)) return `'${value.replace(/'/g, `'\\''`)}'`;
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || ch === "'") out += `\\${ch}`;
    // \xHH is one byte to bash; above ASCII, \uHHHH gives the character's UTF-8 encoding.
    else if (UNSAFE_SHELL.test(ch)) out += code < 0x80 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
    else out += ch;
  }
  return `$'${out}'`;
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

function maskHeader(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    // Keep the scheme: it tells the reader what kind of credential goes there (RFC 9110 §11.6.2).
    const scheme = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s/.exec(value)?.[1];
    if (!scheme) return '<authorization>';
    const what = /^basic$/i.test(scheme) ? '<client_id:client_secret>' : '<access_token>';
    return `${scheme} ${what}`;
  }
  return HEADER_PLACEHOLDERS[lower] ?? `<${lower}>`;
}

function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase()) || SECRET_HEADER_WORDS.test(name);
}

/** Names curl's `--data-urlencode name=content` passes through unchanged and cannot misread. */
const PLAIN_FIELD_NAME = /^[A-Za-z0-9._~-]+$/;

function formArgument(name: string, value: string, reveal: boolean): string {
  const shown = !reveal && SECRET_FIELDS.has(name) ? `<${name}>` : value;
  if (PLAIN_FIELD_NAME.test(name)) return `--data-urlencode ${shellQuote(`${name}=${shown}`)}`;
  // curl splits --data-urlencode at the first '=' or '@' (and '@' reads a file), so any other name
  // is sent already encoded with --data, whose encoded text can never start with '@'.
  return `--data ${shellQuote(`${encodeURIComponent(name)}=${encodeURIComponent(shown)}`)}`;
}

/** Replaces the values of secret query parameters in a URL with placeholders, keeping the rest as written. */
function maskUrl(url: string, reveal: boolean): string {
  if (reveal) return url;
  const hashAt = url.indexOf('#');
  const beforeHash = hashAt === -1 ? url : url.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : url.slice(hashAt);
  const queryAt = beforeHash.indexOf('?');
  if (queryAt === -1) return url;
  const query = beforeHash
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq === -1 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // A malformed escape: compare the raw name.
      }
      return eq !== -1 && SECRET_FIELDS.has(name) ? `${rawName}=<${name}>` : pair;
    })
    .join('&');
  return `${beforeHash.slice(0, queryAt)}?${query}${hash}`;
}

function headerLines(headers: Record<string, string>, reveal: boolean, skip: ReadonlySet<string>): string[] {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (skip.has(name.toLowerCase())) continue;
    const shown = reveal || !isSecretHeader(name) ? value : maskHeader(name, value);
    lines.push(`-H ${shellQuote(`${name}: ${shown}`)}`);
  }
  return lines;
}

function joinCommand(parts: string[]): string {
  return parts.join(' \\\n  ');
}

/** Input for `curlForTokenRequest`. */
export interface TokenRequestInput {
  tokenEndpoint: string;
  /** The form fields of the token request (RFC 6749 §4.1.3, §4.4.2, §6). */
  params: Record<string, string>;
  /** Extra request headers, e.g. `DPoP` (RFC 9449 §4.1). */
  headers?: Record<string, string>;
  /** How the client authenticates (RFC 6749 §2.3.1); `none` for a public client. */
  clientAuth?: 'none' | 'client_secret_post' | 'client_secret_basic';
  /** Show the real values of secrets, for this one command (checklist #64). */
  reveal?: boolean;
}

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/**
 * A copyable curl command for a token request (RFC 6749 §3.2): POST, form-encoded, each field as
 * `--data-urlencode 'name=value'`. Unless `reveal` is set, the values of `code`, `code_verifier`,
 * `refresh_token`, `client_secret`, `client_assertion` (and every other SECRET_FIELDS name), the
 * `DPoP` proof and any `Authorization` header are placeholders such as `<code_verifier>`.
 * With `client_secret_post` a `client_secret=<client_secret>` field is added if none is given;
 * with `client_secret_basic` `client_id` and `client_secret` move into an `Authorization: Basic`
 * header, form-urlencoded before base64 as RFC 6749 §2.3.1 requires.
 */
export function curlForTokenRequest(input: TokenRequestInput): string {
  const reveal = input.reveal === true;
  const params: Record<string, string> = { ...input.params };
  const headers: Record<string, string> = {};
  if (input.clientAuth === 'client_secret_basic') {
    const id = params.client_id;
    const secret = params.client_secret;
    delete params.client_id;
    delete params.client_secret;
    headers.authorization =
      reveal && id !== undefined && secret !== undefined
        ? `Basic ${basicCredentials(id, secret)}`
        : 'Basic <client_id:client_secret>';
  } else if (input.clientAuth === 'client_secret_post' && params.client_secret === undefined) {
    params.client_secret = '<client_secret>';
  }
  const lines = [`curl -X POST ${shellQuote(maskUrl(input.tokenEndpoint, reveal))}`];
  lines.push(`-H ${shellQuote(`content-type: ${FORM_CONTENT_TYPE}`)}`);
  const skip = new Set(['content-type', ...(headers.authorization ? ['authorization'] : [])]);
  lines.push(...headerLines(headers, reveal, new Set()));
  lines.push(...headerLines(input.headers ?? {}, reveal, skip));
  for (const [name, value] of Object.entries(params)) lines.push(formArgument(name, value, reveal));
  return joinCommand(lines);
}

/** `client_id:client_secret` for HTTP Basic, each form-urlencoded first (RFC 6749 §2.3.1). */
export function basicCredentials(clientId: string, clientSecret: string): string {
  const encode = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);
  const text = `${encode(clientId)}:${encode(clientSecret)}`;
  const bytes = new TextEncoder().encode(text);
  return btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
}

/** Input for `curlForRequest`. */
export interface RequestInput {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /**
   * A form (sent form-encoded, secrets masked like `curlForTokenRequest`), or a string. A string
   * body is masked field by field when it is form-encoded (by its content-type) or a JSON object;
   * any other string is shown as given, so do not pass secrets that way.
   */
  body?: Record<string, string> | string;
  reveal?: boolean;
}

/**
 * A copyable curl command for any request the inspector makes: revocation (RFC 7009 §2.1),
 * introspection (RFC 7662 §2.1), userinfo (OIDC Core §5.3.1). Secrets are placeholders unless
 * `reveal` is set: SECRET_FIELDS in the form, the query or a JSON body; `Authorization`, `DPoP`,
 * `Cookie` and any header named like a secret, token or API key.
 */
export function curlForRequest(input: RequestInput): string {
  const reveal = input.reveal === true;
  const method = /^[A-Za-z]+$/.test(input.method) ? input.method.toUpperCase() : 'GET';
  const headers = input.headers ?? {};
  const lines = [`curl -X ${method} ${shellQuote(maskUrl(input.url, reveal))}`];
  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  const body = input.body;
  if (body === undefined) {
    lines.push(...headerLines(headers, reveal, new Set()));
  } else if (typeof body === 'object' || contentType?.toLowerCase().startsWith(FORM_CONTENT_TYPE)) {
    const form = typeof body === 'object' ? Object.entries(body) : [...new URLSearchParams(body)];
    lines.push(`-H ${shellQuote(`content-type: ${FORM_CONTENT_TYPE}`)}`);
    lines.push(...headerLines(headers, reveal, new Set(['content-type'])));
    for (const [name, value] of form) lines.push(formArgument(name, value, reveal));
  } else {
    lines.push(...headerLines(headers, reveal, new Set()));
    let shown = body;
    if (!reveal) {
      try {
        const parsed: unknown = JSON.parse(body);
        if (typeof parsed === 'object' && parsed !== null)
          shown = JSON.stringify(maskMembers(parsed, (key) => `<${key}>`));
      } catch {
        // Not JSON: shown as given (documented above).
      }
    }
    // --data-raw: curl treats a leading '@' in --data as a file name to read.
    lines.push(`--data-raw ${shellQuote(shown)}`);
  }
  return joinCommand(lines);
}
