import {
  CLIENT_VARIABLES,
  parseClientConfig,
  usesSandbox,
  type ClientConfig,
  type ClientEnv,
} from '../oauth/config.js';
import { collectProblems, FieldpassError, isFieldpassError, type ConfigProblem } from '../oauth/errors.js';
import { parseM2mProviders, type M2mEnv, type M2mProvider } from './m2m-config.js';
import { SANDBOX_M2M_ENV } from './sandbox-providers.js';

/** Environment variables by name, as the process (or `.env`) has them. */
export type Environment = Record<string, string | undefined>;

/** Everything Fieldpass reads from its environment, checked. */
export interface Settings {
  client: ClientConfig;
  providers: M2mProvider[];
  /** Extra origins the developer inspector may call from the browser. */
  inspectOrigins: string[];
  /** Where instances share service tokens, locks and limits; absent: each instance keeps its own. */
  sharedState?: SharedStateSettings;
}

/** REDIS_URL and M2M_CACHE_KEY, checked. */
export interface SharedStateSettings {
  url: string;
  /** 32 bytes that seal tokens at rest in Redis. */
  sealingKey: Uint8Array;
}

/** The address the dev server listens on (vite.config.ts), assumed when ORIGIN is not set. */
export const DEV_ORIGIN = 'http://127.0.0.1:5173';

export function clientEnvOf(env: Environment): ClientEnv {
  return Object.fromEntries(CLIENT_VARIABLES.map((name) => [name, env[name]]));
}

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

function configInvalid(variable: string, message: string): FieldpassError {
  return new FieldpassError('CONFIG_INVALID', `${variable} ${message}`, { variable });
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
      throw configInvalid('REDIS_URL', 'must be a redis:// or rediss:// URL, such as redis://redis.internal:6379');
    }
    return rawUrl;
  });
  const sealingKey = problems.check(() => {
    if (rawKey === undefined) {
      if (rawUrl === undefined) return undefined;
      throw configInvalid('M2M_CACHE_KEY', 'is required when REDIS_URL is set: the base64 of 32 random bytes');
    }
    // 32 bytes are 43 base64 characters and one "=".
    if (!/^[A-Za-z0-9+/]{43}=$/.test(rawKey)) {
      throw configInvalid('M2M_CACHE_KEY', 'must be the base64 of exactly 32 random bytes (openssl rand -base64 32)');
    }
    return new Uint8Array(Buffer.from(rawKey, 'base64'));
  });
  problems.done();
  return url && sealingKey ? { url, sealingKey } : undefined;
}

/**
 * Reads and checks the whole configuration: PUBLIC_FENTU_*, M2M_*, INSPECT_CONNECT_ORIGINS, REDIS_URL
 * and M2M_CACHE_KEY.
 * Every problem is reported at once: throws CONFIG_INVALID with `details.problems` (or the one
 * error as it was). `appOrigin` is where users open the app, for the default redirect URI.
 */
export function readSettings(env: Environment, appOrigin: string): Settings {
  const problems = collectProblems();
  const client = problems.check(() => parseClientConfig(clientEnvOf(env), appOrigin));
  const providers = problems.check(() => parseM2mProviders(m2mEnvOf(env)));
  const inspectOrigins = problems.check(() => parseInspectOrigins(env.INSPECT_CONNECT_ORIGINS));
  const sharedState = problems.check(() => parseSharedState(env));
  problems.done();
  return { client: client!, providers: providers!, inspectOrigins: inspectOrigins!, sharedState };
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
