import * as oauth from 'oauth4webapi';
import { FieldpassError } from './errors.js';

/** The shape of oauth4webapi's `customFetch`: a URL string and plain request options. */
export type FetchLike = (url: string, options: oauth.CustomFetchOptions<string, unknown>) => Promise<Response>;

/** How requests are sent. */
export interface HttpSettings {
  /** Replaces `fetch` for every request (oauth4webapi's `customFetch`). */
  fetch?: FetchLike;
  /** How long one request may take: 15 s when not given. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * True for hosts that never leave this machine: 127.0.0.0/8, [::1] and localhost.
 * RFC 8252 §8.3 allows plain http for these only.
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Refuses an endpoint that is not https, unless its host is loopback (RFC 9700 §2.6, RFC 6749
 * §10.9). `variable` names the setting for the message.
 */
export function assertSecureEndpoint(value: string | URL, variable: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new FieldpassError(
      'CONFIG_INVALID',
      `${variable} is not an absolute URL: "${String(value)}"`,
      { variable },
      cause,
    );
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw new FieldpassError(
    'INSECURE_ENDPOINT',
    `${variable} must use https:// (plain http:// is allowed only for 127.0.0.1, [::1] and localhost): "${url.href}"`,
    { variable },
  );
}

/**
 * The one place that lets oauth4webapi talk plain http: only to a loopback endpoint, which
 * `assertSecureEndpoint` has already admitted.
 */
export function httpOptions(endpoint: string | URL | undefined): { [oauth.allowInsecureRequests]?: true } {
  if (!endpoint) return {};
  const url = new URL(endpoint);
  return url.protocol === 'http:' && isLoopbackHost(url.hostname) ? { [oauth.allowInsecureRequests]: true } : {};
}

/**
 * oauth4webapi options for a request to `endpoint`: a timeout for each attempt, the custom fetch
 * if any, and plain http for a loopback endpoint. A request that gets no answer rejects with its
 * address in `url`, so the error can say which server failed.
 */
export function requestOptions({ fetch, timeoutMs = DEFAULT_TIMEOUT_MS }: HttpSettings, endpoint?: string | URL) {
  const send: FetchLike = async (url, options) => {
    try {
      return await (fetch ?? (globalThis.fetch as FetchLike))(url, options);
    } catch (err) {
      if (err instanceof TypeError || isTimeout(err)) Object.assign(err as Error, { url: url.split(/[?#]/)[0] });
      throw err;
    }
  };
  return {
    ...httpOptions(endpoint),
    signal: () => AbortSignal.timeout(timeoutMs),
    [oauth.customFetch]: send,
  };
}

/** True when a request was given up: its timeout signal fired, or it was aborted. */
export function isTimeout(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

/**
 * When a refused request may be made again (epoch ms): `Retry-After` in seconds or as an HTTP date
 * (RFC 9110 §10.2.3), else the Fentu API's `X-RateLimit-Reset` (epoch seconds).
 */
export function retryAt(headers: Headers | undefined, now: number): number | undefined {
  const retryAfter = headers?.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return now + seconds * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return date;
  }
  const reset = Number(headers?.get('x-ratelimit-reset') ?? Number.NaN);
  return Number.isFinite(reset) ? reset * 1000 : undefined;
}

/**
 * How long to wait before attempt `attempt + 1` after `attempt` failures in a row: `base` doubling
 * up to `cap`, with "equal jitter" (half fixed, half random) so clients do not retry in step.
 */
export function backoffDelay(attempt: number, base: number, cap: number, random: () => number = Math.random): number {
  if (attempt <= 0) return 0;
  const ceiling = Math.min(cap, base * 2 ** (attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}
