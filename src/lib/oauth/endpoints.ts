import * as oauth from 'oauth4webapi';
import { FieldpassError } from '../base/errors.js';

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
