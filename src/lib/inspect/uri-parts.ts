// A URI split into its parts on the raw text, for the redirect-URI linter and comparison.
// Framework-free: no svelte, $app or $env imports.

/** A URI split by the regular expression of RFC 3986 Appendix B, on the raw text: nothing normalised. */
export interface UriParts {
  scheme?: string;
  authority?: string;
  userinfo?: string;
  host?: string;
  port?: string;
  path: string;
  query?: string;
  fragment?: string;
}

const URI_PARTS = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#([\s\S]*))?$/;

export const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/** A percent-encoded octet written with a lower-case hex digit, such as %2f. */
export const LOWERCASE_HEX = /%(?:[0-9A-F][a-f]|[a-f][0-9A-Fa-f])/;

/** Splits a URI into scheme, authority (userinfo, host, port), path, query and fragment. */
export function splitUri(text: string): UriParts {
  const m = URI_PARTS.exec(text);
  // The expression matches every string; the fallback only satisfies the type checker.
  if (!m) return { path: text };
  const parts: UriParts = { scheme: m[1], authority: m[2], path: m[3] ?? '', query: m[4], fragment: m[5] };
  if (parts.authority !== undefined) {
    const at = parts.authority.lastIndexOf('@');
    if (at !== -1) parts.userinfo = parts.authority.slice(0, at);
    const hostPort = parts.authority.slice(at + 1);
    const close = hostPort.startsWith('[') ? hostPort.indexOf(']') : -1;
    const colon = hostPort.indexOf(':', close === -1 ? 0 : close);
    parts.host = colon === -1 ? hostPort : hostPort.slice(0, colon);
    if (colon !== -1) parts.port = hostPort.slice(colon + 1);
  }
  return parts;
}

/** The URL a browser makes of the text, or undefined when it cannot parse it. */
export function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
