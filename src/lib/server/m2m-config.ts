import { assertSecureEndpoint } from '../base/http.js';
import { collectProblems, FieldpassError } from '../base/errors.js';
import { FENERGO_SCOPE_LIMIT, FENERGO_SCOPES } from '../catalogs/fenergo-scopes.js';
import { SCOPE_TOKEN, TENANT_ID, TENANT_SCOPE } from '../oauth/scopes.js';

/** How the server authenticates to a provider's token endpoint (RFC 6749 §2.3.1), or a static key. */
export type M2mAuth =
  | {
      mode: 'client_credentials';
      method: 'client_secret_post' | 'client_secret_basic';
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
      scope: string;
    }
  | { mode: 'api_key'; header: string; key: string };

/** One operation a caller may ask for: a method and a path prefix on the provider's base URL. */
export interface AllowedOperation {
  method: 'GET' | 'POST';
  prefix: string;
}

/** At most `limit` requests per `windowMs`. */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

/** One machine-to-machine provider, as configured on the server. Holds secrets: server-only. */
export interface M2mProvider {
  name: string;
  auth: M2mAuth;
  apiBaseUrl: string;
  tenantId?: string;
  allow: AllowedOperation[];
  /** The Fentu scope a signed-in user needs to use this provider. */
  userScope: string;
  /** How many calls all instances together may pass on to the provider; unlimited when absent. */
  rateLimit?: RateLimit;
}

/** The variables that configure providers; `<NAME>` is each name in M2M_PROVIDERS, upper-cased. */
export type M2mEnv = Record<string, string | undefined>;

const KNOWN_FENERGO = new Set(FENERGO_SCOPES.map((s) => s.scope));

function fail(variable: string, message: string): never {
  throw new FieldpassError('CONFIG_INVALID', `${variable} ${message}`, { variable });
}

/**
 * Checks a scope string: RFC 6749 §3.3 syntax always; with Fenergo rules also the 300-character
 * limit, and that every scope is in the Fenergo catalog or is a tenant scope `tenant/<tenant-id>`.
 */
export function validateScope(scope: string, rules: 'fenergo' | 'none', variable: string): string {
  const scopes = scope.split(' ').filter(Boolean);
  const bad = scopes.find((s) => !SCOPE_TOKEN.test(s));
  if (bad !== undefined) fail(variable, `contains "${bad}", which is not a valid scope (RFC 6749 §3.3)`);
  const value = scopes.join(' ');
  if (rules === 'fenergo') {
    if (value.length > FENERGO_SCOPE_LIMIT) {
      fail(variable, `is ${value.length} characters; Fenergo accepts at most ${FENERGO_SCOPE_LIMIT}`);
    }
    const unknown = scopes.filter((s) => !KNOWN_FENERGO.has(s) && !TENANT_SCOPE.test(s));
    if (unknown.length) fail(variable, `names scopes Fenergo does not have: ${unknown.join(', ')}`);
  }
  return value;
}

const WINDOW_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A rate limit written as requests per window: `100/60s`, `5/1s`, `1000/1h` (units ms, s, m, h);
 * the window is at most a day. Throws CONFIG_INVALID naming `variable`.
 */
export function parseRateLimit(value: string, variable: string): RateLimit {
  const match = /^(\d{1,9})\s*\/\s*(\d{1,9})(ms|s|m|h)$/.exec(value.trim());
  const limit = Number(match?.[1]);
  const windowMs = Number(match?.[2]) * WINDOW_UNITS[match?.[3] ?? 's'];
  if (!match || limit < 1 || windowMs < 1 || windowMs > 86_400_000) {
    fail(variable, `is "${value}"; write requests per window, such as 100/60s (units ms, s, m, h; at most a day)`);
  }
  return { limit, windowMs };
}

function parseAllow(raw: string, variable: string): AllowedOperation[] {
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (!entries.length) fail(variable, 'must list at least one operation, such as "GET /entities"');
  return entries.map((entry) => {
    const match = /^(GET|POST)\s+(\/[A-Za-z0-9._~\-/]*)$/.exec(entry);
    if (!match || match[2].includes('..') || match[2].includes('//')) {
      fail(variable, `has "${entry}"; each entry is a method (GET or POST) and a plain path such as /entities`);
    }
    return { method: match[1] as 'GET' | 'POST', prefix: match[2].replace(/\/$/, '') || '/' };
  });
}

/**
 * Reads every provider named in M2M_PROVIDERS. Every missing or malformed variable is reported at
 * once (CONFIG_INVALID, `details.problems` naming each), not one per restart.
 */
export function parseM2mProviders(env: M2mEnv): M2mProvider[] {
  const problems = collectProblems();
  const names = (env.M2M_PROVIDERS ?? '').split(/[\s,]+/).filter(Boolean);
  const providers = names.flatMap((name) => {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) {
      problems.check(() => fail('M2M_PROVIDERS', `has "${name}"; use lower-case letters, digits and dashes`));
      return [];
    }
    const provider = readProvider(name, env, problems.check);
    return provider ? [provider] : [];
  });
  problems.done();
  return providers;
}

type Check = <T>(work: () => T) => T | undefined;

function readProvider(name: string, env: M2mEnv, check: Check): M2mProvider | undefined {
  const prefix = `M2M_${name.toUpperCase().replace(/-/g, '_')}_`;
  const read = (key: string) => env[prefix + key]?.trim() || undefined;
  const need = (key: string) => read(key) ?? fail(prefix + key, `is required for provider "${name}"`);

  const mode = read('MODE') ?? 'client_credentials';
  let auth: M2mAuth | undefined;
  if (mode === 'api_key') {
    const header = check(() => {
      const value = (read('API_KEY_HEADER') ?? 'x-api-key').toLowerCase();
      if (!/^[a-z0-9-]+$/.test(value) || value === 'authorization' || value === 'cookie') {
        fail(
          prefix + 'API_KEY_HEADER',
          'must be a header name of letters, digits and dashes (not Authorization or Cookie)',
        );
      }
      return value;
    });
    const key = check(() => need('API_KEY'));
    if (header && key) auth = { mode, header, key };
  } else if (mode === 'client_credentials') {
    const method = check(() => {
      const value = read('AUTH_METHOD') ?? 'client_secret_basic';
      if (value !== 'client_secret_post' && value !== 'client_secret_basic') {
        fail(prefix + 'AUTH_METHOD', 'must be client_secret_post or client_secret_basic');
      }
      return value;
    });
    const rules = check(() => {
      const value = read('SCOPE_RULES') ?? 'none';
      if (value !== 'fenergo' && value !== 'none') fail(prefix + 'SCOPE_RULES', 'must be fenergo or none');
      return value;
    });
    const tokenUrl = check(() => assertSecureEndpoint(need('TOKEN_URL'), prefix + 'TOKEN_URL').href);
    const clientId = check(() => need('CLIENT_ID'));
    const clientSecret = check(() => need('CLIENT_SECRET'));
    const scope = rules && check(() => validateScope(read('SCOPE') ?? '', rules, prefix + 'SCOPE'));
    if (method && tokenUrl && clientId && clientSecret && scope !== undefined) {
      auth = { mode, method, tokenUrl, clientId, clientSecret, scope };
    }
  } else {
    check(() => fail(prefix + 'MODE', 'must be client_credentials or api_key'));
  }
  const tenantId = read('TENANT_ID');
  if (tenantId !== undefined && !TENANT_ID.test(tenantId)) {
    check(() => fail(prefix + 'TENANT_ID', 'must be letters, digits and dashes'));
  }
  const userScope = check(() => {
    const value = need('USER_SCOPE');
    if (!SCOPE_TOKEN.test(value)) fail(prefix + 'USER_SCOPE', 'must be a single scope');
    return value;
  });
  const apiBaseUrl = check(() => {
    const url = assertSecureEndpoint(need('API_BASE_URL'), prefix + 'API_BASE_URL');
    if (url.search || url.hash || url.username || url.password) {
      fail(prefix + 'API_BASE_URL', 'must be a plain base URL: no query, #fragment or user:password');
    }
    return url.href.replace(/\/$/, '');
  });
  const allow = check(() => parseAllow(need('ALLOW'), prefix + 'ALLOW'));
  const rawLimit = read('RATE_LIMIT');
  const rateLimit = rawLimit === undefined ? undefined : check(() => parseRateLimit(rawLimit, prefix + 'RATE_LIMIT'));
  if (!auth || !userScope || !apiBaseUrl || !allow || (rawLimit !== undefined && !rateLimit)) return undefined;
  return { name, auth, apiBaseUrl, tenantId, allow, userScope, ...(rateLimit ? { rateLimit } : {}) };
}
