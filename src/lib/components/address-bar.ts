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

/** Neutralises control and bidirectional-override characters in text a server sent, before it is shown. */
export function displayableText(text: string): string {
  // C0 and C1 controls, the bidi embeddings, overrides and isolates, and the directional marks:
  // they can reorder or hide what the rest of the line says. Matching them is the point here.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '\ufffd');
}
