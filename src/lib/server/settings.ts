import { clientEnvOf, parseClientConfig, usesSandbox, type ClientConfig } from '../oauth/config.js';
import { isLoopbackHost } from '../base/http.js';
import { collectProblems, FieldpassError, isFieldpassError, type ConfigProblem } from '../base/errors.js';
import { CALLER_VARIABLES, parseCallerConfig, type CallerConfig } from './caller-config.js';
import { parseM2mProviders, parseRateLimit, type M2mEnv, type M2mProvider, type RateLimit } from './m2m-config.js';
import { SANDBOX_M2M_ENV } from './sandbox-providers.js';

/** Environment variables by name, as the process (or `.env`) has them. */
export type Environment = Record<string, string | undefined>;

/** Everything Fieldpass reads from its environment, checked. */
export interface Settings {
  client: ClientConfig;
  providers: M2mProvider[];
  /** How the partner route checks its callers' access tokens (FENTU_ACCESS_TOKEN_FORMAT, FENTU_INTROSPECTION_*). */
  caller: CallerConfig;
  /** Extra origins the developer inspector may call from the browser. */
  inspectOrigins: string[];
  /** Whether the developer inspector is served (INSPECT_ENABLED), and why. */
  inspect: InspectSettings;
  /** Body limit, health and metrics. */
  ops: OpsSettings;
  /** Where instances share service tokens, locks and limits; absent: each instance keeps its own. */
  sharedState?: SharedStateSettings;
  /** M2M_USER_RATE_LIMIT: how many partner calls one signed-in user may make per window, all providers together. */
  userRateLimit: RateLimit;
}

/**
 * The per-user limit when M2M_USER_RATE_LIMIT is not set: 120 calls a minute, two a second, far
 * above what the app's pages make and far below what one user could spend of a partner's quota.
 */
export const DEFAULT_USER_RATE_LIMIT: RateLimit = { limit: 120, windowMs: 60_000 };

/** REDIS_URL and M2M_CACHE_KEY, checked. */
export interface SharedStateSettings {
  url: string;
  /** 32 bytes that seal tokens at rest in Redis. */
  sealingKey: Uint8Array;
}

/** The server's own operation: how large a body the API takes, and where metrics are served. */
export interface OpsSettings {
  /** API_MAX_BODY_BYTES: the largest request body a route under /api/ reads. */
  apiMaxBodyBytes: number;
  /** METRICS_PORT and METRICS_HOST: a port of its own for /metrics, when set. */
  metricsListen?: { port: number; host: string };
  /** METRICS_TOKEN: /metrics on the app's port for requests bearing it, when set. */
  metricsToken?: string;
}

/** The default for API_MAX_BODY_BYTES: 64 KiB, far more than any partner request the route passes on. */
export const DEFAULT_API_MAX_BODY_BYTES = 65_536;

/** The shortest METRICS_TOKEN accepted: 32 characters, e.g. 16 random bytes as hex. */
export const MIN_METRICS_TOKEN_LENGTH = 32;

/** The address the dev server listens on (vite.config.ts), assumed when ORIGIN is not set. */
export const DEV_ORIGIN = 'http://127.0.0.1:5173';

/** M2M_* from the environment; the sandbox's providers when neither they nor a Fentu server are set. */
export function m2mEnvOf(env: Environment): M2mEnv {
  return env.M2M_PROVIDERS === undefined && usesSandbox(clientEnvOf(env)) ? SANDBOX_M2M_ENV : env;
}

/** INSPECT_CONNECT_ORIGINS: space-separated http(s) origins; throws CONFIG_INVALID naming any that is not. */
export function parseInspectOrigins(value: string | undefined): string[] {
  const entries = (value ?? '').split(/\s+/).filter(Boolean);
  const origins = entries.map((entry) => {
    try {
      const url = new URL(entry);
      return /^https?:$/.test(url.protocol) ? url.origin : undefined;
    } catch {
      return undefined;
    }
  });
  const bad = entries.filter((_, i) => origins[i] === undefined);
  if (bad.length) {
    throw new FieldpassError(
      'CONFIG_INVALID',
      `INSPECT_CONNECT_ORIGINS must list origins such as https://login.example.com; not: ${bad.join(', ')}`,
      { variable: 'INSPECT_CONNECT_ORIGINS' },
    );
  }
  return origins as string[];
}

function invalid(variable: string, message: string): FieldpassError {
  return new FieldpassError('CONFIG_INVALID', `${variable} ${message}`, { variable });
}

/** Whether the developer inspector (/inspect) is served, and the rule that decided it. */
export interface InspectSettings {
  enabled: boolean;
  /** In plain words, for the start-up log: which rule decided. */
  reason: string;
}

/**
 * INSPECT_ENABLED: 1, 0, true or false. The inspector shares the app's origin, storage and keys,
 * so without the variable it is on only where a developer is at work: under `vite dev`, or when
 * the issuer is on this machine (the sandbox, or a server a developer runs locally).
 */
export function parseInspectEnabled(
  value: string | undefined,
  { dev, issuer }: { dev: boolean; issuer?: string },
): InspectSettings {
  const set = value?.trim().toLowerCase();
  if (set) {
    if (set === '1' || set === 'true') return { enabled: true, reason: 'INSPECT_ENABLED is set' };
    if (set === '0' || set === 'false') return { enabled: false, reason: 'INSPECT_ENABLED is off' };
    throw invalid('INSPECT_ENABLED', `must be 1, 0, true or false; it is ${JSON.stringify(value?.trim())}.`);
  }
  if (dev) return { enabled: true, reason: 'development server; INSPECT_ENABLED=0 turns it off' };
  const host = issuer && URL.canParse(issuer) ? new URL(issuer).hostname : undefined;
  if (host && isLoopbackHost(host)) {
    return { enabled: true, reason: 'the issuer is on this machine (the sandbox); INSPECT_ENABLED=0 turns it off' };
  }
  return { enabled: false, reason: 'production default; INSPECT_ENABLED=1 turns it on' };
}

/** A whole number of at least `min`, or the default when the variable is unset or empty. */
function wholeNumber(env: Environment, variable: string, min: number, max: number): number | undefined {
  const value = env[variable]?.trim();
  if (!value) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw invalid(variable, `must be a whole number from ${min} to ${max}; it is ${JSON.stringify(value)}.`);
  }
  return Number(value);
}

/** API_MAX_BODY_BYTES: a positive number of bytes (64 KiB by default). */
export function parseApiMaxBodyBytes(env: Environment): number {
  return wholeNumber(env, 'API_MAX_BODY_BYTES', 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_API_MAX_BODY_BYTES;
}

/** METRICS_PORT (a port other than the app's PORT) and METRICS_HOST (127.0.0.1 by default). */
export function parseMetricsListen(env: Environment): OpsSettings['metricsListen'] {
  const port = wholeNumber(env, 'METRICS_PORT', 1, 65_535);
  const host = env.METRICS_HOST?.trim();
  if (port === undefined) {
    if (host) throw invalid('METRICS_HOST', 'is set but METRICS_PORT is not: set both, or neither.');
    return undefined;
  }
  if (String(port) === (env.PORT?.trim() || '3000')) {
    throw invalid('METRICS_PORT', `must differ from the app's port (${port}): metrics are served apart from the app.`);
  }
  if (host !== undefined && !/^[A-Za-z0-9.:_-]+$/.test(host)) {
    throw invalid(
      'METRICS_HOST',
      `must be a host name or IP address such as 127.0.0.1; it is ${JSON.stringify(host)}.`,
    );
  }
  return { port, host: host || '127.0.0.1' };
}

/** METRICS_TOKEN: unset, or at least 32 characters of printable ASCII without spaces. */
export function parseMetricsToken(env: Environment): string | undefined {
  const token = env.METRICS_TOKEN;
  if (!token) return undefined;
  if (!/^[\x21-\x7e]+$/.test(token) || token.length < MIN_METRICS_TOKEN_LENGTH) {
    throw invalid(
      'METRICS_TOKEN',
      `must be at least ${MIN_METRICS_TOKEN_LENGTH} printable characters without spaces (try \`openssl rand -hex 32\`).`,
    );
  }
  return token;
}

/** API_MAX_BODY_BYTES and METRICS_*, checked; every problem at once, as {@link readSettings} does. */
export function readOpsSettings(env: Environment): OpsSettings {
  const problems = collectProblems();
  const apiMaxBodyBytes = problems.check(() => parseApiMaxBodyBytes(env));
  const metricsListen = problems.check(() => parseMetricsListen(env));
  const metricsToken = problems.check(() => parseMetricsToken(env));
  problems.done();
  return { apiMaxBodyBytes: apiMaxBodyBytes!, metricsListen, metricsToken };
}

/**
 * adapter-node's BODY_SIZE_LIMIT in bytes, read the way the adapter reads it (a number with an
 * optional K, M or G suffix; 512K when unset); NaN when malformed, which stops the adapter itself.
 */
export function nodeBodySizeLimit(env: Environment): number {
  const value = env.BODY_SIZE_LIMIT ?? '512K';
  const multiplier = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[value.slice(-1).toUpperCase()];
  return multiplier ? Number(value.slice(0, -1)) * multiplier : Number(value);
}

/**
 * REDIS_URL (redis:// or rediss://) and M2M_CACHE_KEY (base64 of 32 bytes, required with REDIS_URL);
 * undefined when REDIS_URL is not set. Both problems are reported together; neither message
 * repeats the value, since the URL may hold a password and the key is a secret.
 */
export function parseSharedState(env: Environment): SharedStateSettings | undefined {
  const problems = collectProblems();
  const rawUrl = env.REDIS_URL?.trim() || undefined;
  const rawKey = env.M2M_CACHE_KEY?.trim() || undefined;
  const url = problems.check(() => {
    if (rawUrl === undefined) return undefined;
    const parsed = URL.canParse(rawUrl) ? new URL(rawUrl) : undefined;
    if (!parsed || !/^rediss?:$/.test(parsed.protocol) || !parsed.hostname) {
      throw invalid('REDIS_URL', 'must be a redis:// or rediss:// URL, such as redis://redis.internal:6379');
    }
    return rawUrl;
  });
  const sealingKey = problems.check(() => {
    if (rawKey === undefined) {
      if (rawUrl === undefined) return undefined;
      throw invalid('M2M_CACHE_KEY', 'is required when REDIS_URL is set: the base64 of 32 random bytes');
    }
    // 32 bytes are 43 base64 characters and one "=".
    if (!/^[A-Za-z0-9+/]{43}=$/.test(rawKey)) {
      throw invalid('M2M_CACHE_KEY', 'must be the base64 of exactly 32 random bytes (openssl rand -base64 32)');
    }
    return new Uint8Array(Buffer.from(rawKey, 'base64'));
  });
  problems.done();
  return url && sealingKey ? { url, sealingKey } : undefined;
}

/**
 * Reads and checks the whole configuration: PUBLIC_FENTU_*, M2M_*, INSPECT_CONNECT_ORIGINS,
 * INSPECT_ENABLED, FENTU_ACCESS_TOKEN_FORMAT, FENTU_INTROSPECTION_*, API_MAX_BODY_BYTES, METRICS_*, REDIS_URL and
 * M2M_CACHE_KEY.
 * Every problem is reported at once: throws CONFIG_INVALID with `details.problems` (or the one
 * error as it was). `appOrigin` is where users open the app, for the default redirect URI; `dev`
 * says the app runs under `vite dev` (the inspector's default).
 */
export function readSettings(env: Environment, appOrigin: string, { dev = false }: { dev?: boolean } = {}): Settings {
  const problems = collectProblems();
  const client = problems.check(() => parseClientConfig(clientEnvOf(env), appOrigin));
  const providers = problems.check(() => parseM2mProviders(m2mEnvOf(env)));
  const callerEnv = Object.fromEntries(CALLER_VARIABLES.map((name) => [name, env[name]]));
  const caller = problems.check(() => parseCallerConfig(callerEnv, client?.endpoints !== undefined));
  const inspectOrigins = problems.check(() => parseInspectOrigins(env.INSPECT_CONNECT_ORIGINS));
  const inspect = problems.check(() => parseInspectEnabled(env.INSPECT_ENABLED, { dev, issuer: client?.issuer }));
  const ops = problems.check(() => readOpsSettings(env));
  const sharedState = problems.check(() => parseSharedState(env));
  const userRateLimit = problems.check(() =>
    env.M2M_USER_RATE_LIMIT?.trim()
      ? parseRateLimit(env.M2M_USER_RATE_LIMIT, 'M2M_USER_RATE_LIMIT')
      : DEFAULT_USER_RATE_LIMIT,
  );
  problems.done();
  return {
    client: client!,
    providers: providers!,
    caller: caller!,
    inspectOrigins: inspectOrigins!,
    inspect: inspect!,
    ops: ops!,
    sharedState,
    userRateLimit: userRateLimit!,
  };
}

/** The problems a configuration error names, one per variable; [] for any other error. */
export function configProblems(err: unknown): ConfigProblem[] {
  if (!isFieldpassError(err) || !err.details.variable) return [];
  return err.details.problems ?? [{ variable: err.details.variable, message: err.message }];
}

/**
 * Where users open the app, as far as the server can know before a request: ORIGIN, else the
 * redirect URI's origin, else the dev server's address.
 */
export function expectedOrigin(env: Environment): string {
  for (const value of [env.ORIGIN, env.PUBLIC_FENTU_REDIRECT_URI]) {
    try {
      if (value?.trim()) return new URL(value.trim()).origin;
    } catch {
      // Reported by the checks that own the variable.
    }
  }
  return DEV_ORIGIN;
}

/** The problems as a block of text for the console: one line per variable. */
export function formatProblems(problems: ConfigProblem[]): string {
  const lines = problems.map(({ variable, message }) =>
    message.startsWith(variable) ? `  - ${message}` : `  - ${variable}: ${message}`,
  );
  const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`;
  return `Fieldpass's configuration has ${count}:\n${lines.join('\n')}\nSee .env.example for every setting.`;
}
