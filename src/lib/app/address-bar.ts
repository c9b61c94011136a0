/** What an authorization response puts in a URL (RFC 6749 §4.1.2, RFC 9207 §2, OpenID session management). */
const OAUTH_PARAMETERS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state'];

/** The pages that finish a sign-in, the only ones that read those parameters. */
const CALLBACK_PATHS = ['/callback', '/inspect/callback'];

/**
 * The address without authorization-response parameters, for any page but a callback: a code or
 * a state that lands elsewhere (a mistyped redirect URI, a pasted link) is never used, and is not
 * left in the address bar, the history or a bookmark. Undefined when there is nothing to remove.
 */
export function withoutOAuthParameters(url: URL): URL | undefined {
  if (CALLBACK_PATHS.includes(url.pathname)) return undefined;
  const cleaned = new URL(url);
  for (const name of OAUTH_PARAMETERS) cleaned.searchParams.delete(name);
  return cleaned.search === url.search ? undefined : cleaned;
}
