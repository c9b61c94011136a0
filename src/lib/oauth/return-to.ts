/**
 * The page to return to after sign-in, reduced to a same-origin path. Anything that could leave
 * the origin — another scheme, `//host`, backslashes, control characters, encoded slashes at the
 * start — falls back to "/" (RFC 9700 §4.11.1: clients must not be open redirectors).
 */
export function safeReturnTo(value: string | null | undefined, appOrigin: string): string {
  const fallback = '/';
  if (!value || value.length > 2048) return fallback;
  // Browsers strip tabs and newlines and read "\" as "/" before parsing, so "/\evil" is "//evil".
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (!value.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(value)) return fallback;
  // decodeURIComponent and URL throw on malformed input: that falls back too.
  try {
    const decoded = decodeURIComponent(value);
    if (decoded.startsWith('//') || decoded.includes('\\') || /^\/[^/]*:/.test(decoded)) return fallback;
    const url = new URL(value, appOrigin);
    if (url.origin !== appOrigin) return fallback;
    const path = `${url.pathname}${url.search}${url.hash}`;
    // The callback itself is never a destination, however it is spelt: it would try to finish a sign-in again.
    const pathname = decodeURIComponent(url.pathname).replace(/\/+$/, '').toLowerCase();
    return path.startsWith('//') || pathname === '/callback' ? fallback : path;
  } catch {
    return fallback;
  }
}
