import { FieldpassError } from '../base/errors.js';
import { isLoopbackHost } from '../base/http.js';

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
