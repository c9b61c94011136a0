import { collectProblems, FieldpassError } from '../base/errors.js';
import { SANDBOX_API_BASE_URL, SANDBOX_CLIENT_ID, SANDBOX_ISSUER } from '../base/sandbox.js';
import { assertSecureEndpoint } from '../base/http.js';
import { FENTU_SCOPES, SCOPE_TOKEN } from './scopes.js';

/** Endpoints typed in by hand, for authorization servers without a discovery document. */
export interface ManualEndpoints {
  authorization_endpoint: string;
  token_endpoint: string;
  revocation_endpoint?: string;
}

/** PUBLIC_FENTU_PAR: whether sign-in may push its authorization request (RFC 9126). */
export type ParSetting = 'auto' | 'off';

/** Everything the core needs to know about the app as an OAuth client. */
export interface ClientConfig {
  /** The issuer identifier; `iss` in responses is compared with it (RFC 9207). */
  issuer: string;
  /** Set when the server has no discovery document (RFC 8414). */
  endpoints?: ManualEndpoints;
  clientId: string;
  redirectUri: string;
  /** The scopes to offer, in order, each once. */
  scopes: string[];
  apiBaseUrl: string;
  /** `auto`: push the authorization request when the server offers it; `off`: never. */
  par: ParSetting;
  /** True when nothing was configured and the local sandbox is in use. */
  sandbox: boolean;
}

/** The environment variables that configure the client, by name. */
export type ClientEnv = Partial<Record<(typeof CLIENT_VARIABLES)[number], string>>;

export const CLIENT_VARIABLES = [
  'PUBLIC_FENTU_ISSUER',
  'PUBLIC_FENTU_AUTHORIZATION_ENDPOINT',
  'PUBLIC_FENTU_TOKEN_ENDPOINT',
  'PUBLIC_FENTU_REVOCATION_ENDPOINT',
  'PUBLIC_FENTU_CLIENT_ID',
  'PUBLIC_FENTU_REDIRECT_URI',
  'PUBLIC_FENTU_SCOPES',
  'PUBLIC_FENTU_API_BASE_URL',
  'PUBLIC_FENTU_PAR',
] as const;

/** The PUBLIC_FENTU_* values among `source`'s, e.g. SvelteKit's public environment or the process's. */
export function clientEnvOf(source: ClientEnv): ClientEnv {
  return Object.fromEntries(CLIENT_VARIABLES.map((name) => [name, source[name]]));
}

/** The local sandbox (`npm run dev`): used when none of the variables above is set. */
const SANDBOX_ENV = {
  PUBLIC_FENTU_ISSUER: SANDBOX_ISSUER,
  PUBLIC_FENTU_CLIENT_ID: SANDBOX_CLIENT_ID,
  PUBLIC_FENTU_API_BASE_URL: SANDBOX_API_BASE_URL,
} as const;

function required(env: ClientEnv, name: keyof ClientEnv, why: string): string {
  const value = env[name]?.trim();
  if (!value) throw new FieldpassError('CONFIG_INVALID', `${name} is required ${why}.`, { variable: name });
  return value;
}

/** True when none of the PUBLIC_FENTU_* variables that pick a server is set: the sandbox is in use. */
export function usesSandbox(env: ClientEnv): boolean {
  return !CLIENT_VARIABLES.some(
    (name) => name !== 'PUBLIC_FENTU_REDIRECT_URI' && name !== 'PUBLIC_FENTU_PAR' && env[name]?.trim(),
  );
}

/** This app's own callback: no #fragment (RFC 6749 §3.1.2), or the response would not come back. */
function redirectUriOf(env: ClientEnv, appOrigin: string): string {
  const variable = 'PUBLIC_FENTU_REDIRECT_URI';
  const url = assertSecureEndpoint(env.PUBLIC_FENTU_REDIRECT_URI ?? `${appOrigin}/callback`, variable);
  if (url.hash || url.href.includes('#')) {
    throw new FieldpassError('CONFIG_INVALID', `${variable} must not contain a #fragment (RFC 6749 §3.1.2).`, {
      variable,
    });
  }
  if (url.origin !== appOrigin || url.pathname !== '/callback') {
    throw new FieldpassError(
      'CONFIG_INVALID',
      `${variable} must be this app's callback, ${appOrigin}/callback, or the sign-in response will not come back here.`,
      { variable },
    );
  }
  return url.href;
}

/** The scopes to offer, in order: scope-tokens separated by spaces, the Fentu scope table by default. */
function scopeIdsOf(env: ClientEnv): string[] {
  const scopeIds = (env.PUBLIC_FENTU_SCOPES ?? FENTU_SCOPES.join(' ')).split(/\s+/).filter(Boolean);
  const badScope = scopeIds.find((scope) => !SCOPE_TOKEN.test(scope));
  if (badScope !== undefined || scopeIds.length === 0) {
    throw new FieldpassError(
      'CONFIG_INVALID',
      `PUBLIC_FENTU_SCOPES must be scope names separated by spaces${badScope ? `; "${badScope}" has a character scopes cannot contain` : ''}.`,
      { variable: 'PUBLIC_FENTU_SCOPES' },
    );
  }
  return scopeIds;
}

/**
 * Reads and validates the client configuration. Throws `CONFIG_INVALID` or `INSECURE_ENDPOINT`
 * naming the variable at fault, every one at once. `appOrigin` is where the app is served, for the
 * default redirect URI.
 */
export function parseClientConfig(rawEnv: ClientEnv, appOrigin: string): ClientConfig {
  const trimmed = Object.fromEntries(
    CLIENT_VARIABLES.map((name) => [name, rawEnv[name]?.trim() || undefined]),
  ) as ClientEnv;
  const configured = !usesSandbox(trimmed);
  const env: ClientEnv = configured ? trimmed : { ...trimmed, ...SANDBOX_ENV };
  const because = 'when a Fentu server is configured';
  const problems = collectProblems();
  const endpoint = (name: keyof ClientEnv, why = because) =>
    problems.check(() => assertSecureEndpoint(required(env, name, why), name).href);

  // The issuer is compared character for character (RFC 8414 §3.3, RFC 9207 §2.4): keep it as written.
  const issuer = problems.check(() => {
    const value = required(env, 'PUBLIC_FENTU_ISSUER', because);
    assertSecureEndpoint(value, 'PUBLIC_FENTU_ISSUER');
    return value;
  });

  let endpoints: ManualEndpoints | undefined;
  if (env.PUBLIC_FENTU_AUTHORIZATION_ENDPOINT || env.PUBLIC_FENTU_TOKEN_ENDPOINT) {
    const manual = 'when endpoints are entered by hand';
    endpoints = {
      authorization_endpoint: endpoint('PUBLIC_FENTU_AUTHORIZATION_ENDPOINT', manual)!,
      token_endpoint: endpoint('PUBLIC_FENTU_TOKEN_ENDPOINT', manual)!,
    };
    if (env.PUBLIC_FENTU_REVOCATION_ENDPOINT)
      endpoints.revocation_endpoint = endpoint('PUBLIC_FENTU_REVOCATION_ENDPOINT');
  }

  const redirectUri = problems.check(() => redirectUriOf(env, appOrigin));
  const scopeIds = problems.check(() => scopeIdsOf(env));
  const clientId = problems.check(() => required(env, 'PUBLIC_FENTU_CLIENT_ID', because));
  const apiBaseUrl = endpoint('PUBLIC_FENTU_API_BASE_URL');
  const par = env.PUBLIC_FENTU_PAR ?? 'auto';
  problems.check(() => {
    if (par !== 'auto' && par !== 'off') {
      throw new FieldpassError('CONFIG_INVALID', 'PUBLIC_FENTU_PAR must be auto or off.', {
        variable: 'PUBLIC_FENTU_PAR',
      });
    }
  });
  problems.done();

  return {
    issuer: issuer!,
    endpoints,
    clientId: clientId!,
    redirectUri: redirectUri!,
    scopes: [...new Set(scopeIds)],
    apiBaseUrl: apiBaseUrl!.replace(/\/$/, ''),
    par: par as ParSetting,
    sandbox: !configured,
  };
}
