import { assertSecureEndpoint } from '../base/http.js';
import { collectProblems, FieldpassError } from '../base/errors.js';

/**
 * How the partner route checks a signed-in user's access token: `jwt` validates it locally as an
 * RFC 9068 JWT; `opaque` asks the authorization server (RFC 7662 introspection); `auto` does the
 * first for JWT-shaped tokens and the second for the rest.
 */
export type AccessTokenFormat = 'jwt' | 'opaque' | 'auto';

/** The route's own confidential client at the introspection endpoint (RFC 7662 §2.1). */
export interface IntrospectionClient {
  clientId: string;
  clientSecret: string;
  authMethod: 'client_secret_basic' | 'client_secret_post';
  /** Set by FENTU_INTROSPECTION_ENDPOINT; otherwise discovery's `introspection_endpoint`. */
  endpoint?: string;
}

export interface CallerConfig {
  tokenFormat: AccessTokenFormat;
  /** False when FENTU_ACCESS_TOKEN_FORMAT was not set and `jwt` was assumed. */
  formatChosen: boolean;
  introspection?: IntrospectionClient;
}

export const CALLER_VARIABLES = [
  'FENTU_ACCESS_TOKEN_FORMAT',
  'FENTU_INTROSPECTION_CLIENT_ID',
  'FENTU_INTROSPECTION_CLIENT_SECRET',
  'FENTU_INTROSPECTION_AUTH_METHOD',
  'FENTU_INTROSPECTION_ENDPOINT',
] as const;

export type CallerEnv = Partial<Record<(typeof CALLER_VARIABLES)[number], string>>;

const FORMATS: readonly AccessTokenFormat[] = ['jwt', 'opaque', 'auto'];
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;

function invalid(variable: string, message: string): never {
  throw new FieldpassError('CONFIG_INVALID', `${variable} ${message}`, { variable });
}

/**
 * Reads FENTU_ACCESS_TOKEN_FORMAT and FENTU_INTROSPECTION_*. `manualEndpoints` is true when the
 * server's endpoints are typed in by hand (no discovery), so the introspection endpoint must be too.
 * Throws CONFIG_INVALID naming every variable at fault.
 */
export function parseCallerConfig(raw: CallerEnv, manualEndpoints: boolean): CallerConfig {
  const env = Object.fromEntries(CALLER_VARIABLES.map((name) => [name, raw[name]?.trim() || undefined])) as CallerEnv;
  const problems = collectProblems();
  const id = env.FENTU_INTROSPECTION_CLIENT_ID;
  const secret = env.FENTU_INTROSPECTION_CLIENT_SECRET;
  const credentials = Boolean(id && secret);
  problems.check(() => {
    if (id && !secret) invalid('FENTU_INTROSPECTION_CLIENT_SECRET', 'is required with FENTU_INTROSPECTION_CLIENT_ID.');
  });
  problems.check(() => {
    if (secret && !id) invalid('FENTU_INTROSPECTION_CLIENT_ID', 'is required with FENTU_INTROSPECTION_CLIENT_SECRET.');
  });
  const format = problems.check(() => {
    const value = env.FENTU_ACCESS_TOKEN_FORMAT;
    if (value === undefined) return credentials ? 'auto' : 'jwt';
    if (!FORMATS.includes(value as AccessTokenFormat))
      invalid('FENTU_ACCESS_TOKEN_FORMAT', `must be jwt, opaque or auto, not "${value}".`);
    if (value !== 'jwt' && !id && !secret) {
      invalid(
        'FENTU_INTROSPECTION_CLIENT_ID',
        `and FENTU_INTROSPECTION_CLIENT_SECRET are required with FENTU_ACCESS_TOKEN_FORMAT=${value}.`,
      );
    }
    return value as AccessTokenFormat;
  });
  const authMethod = problems.check(() => {
    const value = env.FENTU_INTROSPECTION_AUTH_METHOD ?? 'client_secret_basic';
    if (!(AUTH_METHODS as readonly string[]).includes(value))
      invalid('FENTU_INTROSPECTION_AUTH_METHOD', `must be client_secret_basic or client_secret_post, not "${value}".`);
    return value as IntrospectionClient['authMethod'];
  });
  const endpoint = problems.check(() => {
    const value = env.FENTU_INTROSPECTION_ENDPOINT;
    if (value) return assertSecureEndpoint(value, 'FENTU_INTROSPECTION_ENDPOINT').href;
    if (credentials && manualEndpoints)
      invalid(
        'FENTU_INTROSPECTION_ENDPOINT',
        'is required when the endpoints are entered by hand (no discovery document).',
      );
    return undefined;
  });
  problems.done();
  return {
    tokenFormat: format!,
    formatChosen: env.FENTU_ACCESS_TOKEN_FORMAT !== undefined,
    introspection: credentials
      ? { clientId: id!, clientSecret: secret!, authMethod: authMethod!, endpoint }
      : undefined,
  };
}
