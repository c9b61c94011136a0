// The redirect-URI lab: lints one redirect URI and compares it with the URIs a developer says are
// registered, the way an authorization server does (simple string comparison, RFC 3986 §6.2.1).
// The linter's rules are in redirect-lint.ts. Framework-free: no svelte, $app or $env imports.
import { isLoopbackHost } from '../base/http.js';
import { DEFAULT_PORTS, LOWERCASE_HEX, parseUrl, splitUri, type UriParts } from './uri-parts.js';

/** The ways a candidate redirect URI can differ from a registered one. */
export type RedirectDifferenceKind =
  | 'whitespace'
  | 'scheme'
  | 'scheme-case'
  | 'userinfo'
  | 'host'
  | 'host-case'
  | 'localhost-vs-loopback-ip'
  | 'port'
  | 'path'
  | 'path-case'
  | 'trailing-slash'
  | 'query'
  | 'fragment'
  | 'encoding'
  | 'other';

/** One difference between the candidate and a registered URI, in plain words. */
export interface RedirectDifference {
  kind: RedirectDifferenceKind;
  message: string;
}

/** A run of characters in a character-level diff: `removed` is only in the registered URI, `added` only in the candidate. */
export interface DiffSegment {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

/** What the server will make of a candidate redirect URI, given the registered ones. */
export interface RedirectComparison {
  /** True only when the candidate equals a registered URI character for character. */
  exactMatch: boolean;
  /**
   * `exact`; or `loopback-any-port` when it differs from a registered loopback IP URI only in the
   * port, which servers must accept for native apps (RFC 8252 §7.3) and most refuse for web apps;
   * or `none`.
   */
  match: 'exact' | 'loopback-any-port' | 'none';
  /** The registered URI nearest the candidate (smallest edit distance; the match itself on a match). */
  closest?: { registered: string; differences: RedirectDifference[]; diff: DiffSegment[] };
  /** What the server will do, in plain words. */
  verdict: string;
}

/** Decodes what RFC 3986 §6.2.2 normalisation would (unreserved characters, hex case) plus %2F. */
function normaliseEncoding(value: string): string {
  return value.replace(/%[0-9A-Fa-f]{2}/g, (hex) => {
    const char = String.fromCharCode(parseInt(hex.slice(1), 16));
    return /[A-Za-z0-9\-._~/]/.test(char) ? char : hex.toUpperCase();
  });
}

/** The edit distance between two short strings, O(n·m) on what is left after the common prefix and suffix. */
function editDistance(a: string, b: string): number {
  const [x, y] = trimCommon(a, b);
  // Hostile input: past this size the exact distance is not worth the time; the bound suffices to rank.
  if (x.length * y.length > 250_000) return Math.max(x.length, y.length);
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
    }
    previous = current;
  }
  return previous[y.length];
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function commonSuffixLength(a: string, b: string, prefix: number): number {
  let i = 0;
  while (i < a.length - prefix && i < b.length - prefix && a[a.length - 1 - i] === b[b.length - 1 - i]) i++;
  return i;
}

function trimCommon(a: string, b: string): [string, string] {
  const prefix = commonPrefixLength(a, b);
  const suffix = commonSuffixLength(a, b, prefix);
  return [a.slice(prefix, a.length - suffix), b.slice(prefix, b.length - suffix)];
}

/**
 * A character-level diff from `registered` to `candidate` (longest common subsequence): `removed`
 * text is only in the registered URI, `added` text only in the candidate. Adjacent runs are merged.
 */
export function diffCharacters(registered: string, candidate: string): DiffSegment[] {
  const prefix = commonPrefixLength(registered, candidate);
  const suffix = commonSuffixLength(registered, candidate, prefix);
  const a = registered.slice(prefix, registered.length - suffix);
  const b = candidate.slice(prefix, candidate.length - suffix);
  const segments: DiffSegment[] = [];
  const push = (kind: DiffSegment['kind'], text: string) => {
    if (text === '') return;
    const last = segments[segments.length - 1];
    if (last?.kind === kind) last.text += text;
    else segments.push({ kind, text });
  };
  push('same', registered.slice(0, prefix));
  if (a.length * b.length > 1_000_000) {
    // Too long to diff character by character in the page: show the middle as replaced.
    push('removed', a);
    push('added', b);
  } else {
    // lcs[i][j] = length of the LCS of a[i..] and b[j..], in one flat array.
    const width = b.length + 1;
    const lcs = new Uint32Array((a.length + 1) * width);
    for (let i = a.length - 1; i >= 0; i--) {
      for (let j = b.length - 1; j >= 0; j--) {
        lcs[i * width + j] =
          a[i] === b[j] ? lcs[(i + 1) * width + j + 1] + 1 : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      if (a[i] === b[j]) {
        push('same', a[i]);
        i++;
        j++;
      } else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
        push('removed', a[i++]);
      } else {
        push('added', b[j++]);
      }
    }
    push('removed', a.slice(i));
    push('added', b.slice(j));
  }
  push('same', registered.slice(registered.length - suffix));
  return segments;
}

function isLoopbackIp(host: string | undefined): boolean {
  return host !== undefined && host !== 'localhost' && isLoopbackHost(host.toLowerCase());
}

function asciiHost(host: string): string | undefined {
  return parseUrl(`http://${host}/`)?.hostname;
}

function describePort(port: string | undefined, scheme: string | undefined): string {
  if (port === undefined || port === '') {
    const fallback = DEFAULT_PORTS[scheme?.toLowerCase() ?? ''];
    return fallback ? `no port (so ${fallback})` : 'no port';
  }
  return `:${port}`;
}

function encodingNote(a: string, b: string): string {
  const notes: string[] = [];
  if (/%2F/i.test(a) !== /%2F/i.test(b)) notes.push('%2F against /');
  if (/%7E/i.test(a) !== /%7E/i.test(b)) notes.push('%7E against ~');
  if (LOWERCASE_HEX.test(a) !== LOWERCASE_HEX.test(b)) notes.push('lower-case against upper-case hex');
  const detail = notes.length ? ` (${notes.join('; ')})` : '';
  return `The same characters are percent-encoded differently${detail}. Decoded they are equal, but the server compares the text as written.`;
}

/** The candidate and a registered URI, as given and split into parts without the whitespace at their ends. */
interface UriPair {
  candidate: string;
  registered: string;
  c: UriParts;
  r: UriParts;
}

function whitespaceDifference({ candidate, registered }: UriPair): RedirectDifference[] {
  if (candidate === candidate.trim() && registered === registered.trim()) return [];
  return [
    {
      kind: 'whitespace',
      message:
        candidate !== candidate.trim()
          ? 'The URI you are testing has a space or line break at the start or end.'
          : 'The registered URI has a space or line break at the start or end.',
    },
  ];
}

function schemeDifference({ c, r }: UriPair): RedirectDifference[] {
  if (c.scheme === r.scheme) return [];
  if (c.scheme?.toLowerCase() === r.scheme?.toLowerCase()) {
    return [{ kind: 'scheme-case', message: `The scheme differs in case: ${c.scheme}: against ${r.scheme}:.` }];
  }
  return [
    { kind: 'scheme', message: `The scheme differs: ${c.scheme ?? '(none)'}: against ${r.scheme ?? '(none)'}:.` },
  ];
}

function userinfoDifference({ c, r }: UriPair): RedirectDifference[] {
  if (c.userinfo === r.userinfo) return [];
  return [{ kind: 'userinfo', message: 'The part before @ (user name or password) differs.' }];
}

function hostDifference({ c, r }: UriPair): RedirectDifference[] {
  if (c.host === r.host) return [];
  const ch = c.host?.toLowerCase();
  const rh = r.host?.toLowerCase();
  if (ch === rh) return [{ kind: 'host-case', message: `The host differs in case: ${c.host} against ${r.host}.` }];
  if ((ch === 'localhost' && isLoopbackIp(rh)) || (rh === 'localhost' && isLoopbackIp(ch))) {
    return [
      {
        kind: 'localhost-vs-loopback-ip',
        message: `${c.host} against ${r.host}: both reach this machine, but they are different strings to the server and different origins to the browser.`,
      },
    ];
  }
  if (ch !== undefined && rh !== undefined && asciiHost(ch) !== undefined && asciiHost(ch) === asciiHost(rh)) {
    return [
      {
        kind: 'encoding',
        message: 'The host is written in two encodings (Unicode against xn-- punycode, or percent-encoded).',
      },
    ];
  }
  return [{ kind: 'host', message: `The host differs: ${c.host ?? '(none)'} against ${r.host ?? '(none)'}.` }];
}

function portDifference({ c, r }: UriPair): RedirectDifference[] {
  if (c.port === r.port) return [];
  const fallback = DEFAULT_PORTS[c.scheme?.toLowerCase() ?? ''];
  const effective = (p: string | undefined) => (p === undefined || p === '' ? fallback : String(Number(p)));
  return [
    {
      kind: 'port',
      message:
        effective(c.port) === effective(r.port)
          ? `${describePort(c.port, c.scheme)} against ${describePort(r.port, r.scheme)}: the browser treats these as the same port, but the server compares the text. Remove the default port on both sides.`
          : `The port differs: ${describePort(c.port, c.scheme)} against ${describePort(r.port, r.scheme)}.`,
    },
  ];
}

const withoutTrailingSlash = (p: string) => (p.endsWith('/') ? p.slice(0, -1) : p);

/** True when one path only ends in a slash, and the two are otherwise alike. */
function differsInTrailingSlash(cp: string, rp: string): boolean {
  if (cp === rp || cp.endsWith('/') === rp.endsWith('/')) return false;
  return (
    normaliseEncoding(withoutTrailingSlash(cp)).toLowerCase() ===
    normaliseEncoding(withoutTrailingSlash(rp)).toLowerCase()
  );
}

function trailingSlashDifference({ c, r }: UriPair): RedirectDifference[] {
  if (!differsInTrailingSlash(c.path, r.path)) return [];
  return [
    {
      kind: 'trailing-slash',
      message: c.path.endsWith('/')
        ? 'The URI you are testing ends in a slash; the registered one does not.'
        : 'The registered URI ends in a slash; the one you are testing does not.',
    },
  ];
}

/** How the paths differ, after any trailing-slash difference is set aside. */
function pathDifference({ c, r }: UriPair): RedirectDifference[] {
  const slash = differsInTrailingSlash(c.path, r.path);
  const cp = slash ? withoutTrailingSlash(c.path) : c.path;
  const rp = slash ? withoutTrailingSlash(r.path) : r.path;
  if (cp === rp) return [];
  const decodedC = normaliseEncoding(cp);
  const decodedR = normaliseEncoding(rp);
  if (decodedC === decodedR) return [{ kind: 'encoding', message: encodingNote(cp, rp) }];
  if (decodedC.toLowerCase() !== decodedR.toLowerCase()) {
    return [{ kind: 'path', message: `The path differs: ${c.path || '(empty)'} against ${r.path || '(empty)'}.` }];
  }
  const differences: RedirectDifference[] = [
    { kind: 'path-case', message: `The path differs in case: ${c.path} against ${r.path}. Paths are case-sensitive.` },
  ];
  // "/C%62" against "/cb": the encoding differs as well as the case.
  if (cp.toLowerCase() !== rp.toLowerCase()) differences.push({ kind: 'encoding', message: encodingNote(cp, rp) });
  return differences;
}

function queryDifference({ c, r }: UriPair): RedirectDifference[] {
  if (c.query === r.query) return [];
  const sorted = (q: string) => q.split('&').sort().join('&');
  if (c.query === undefined || r.query === undefined) {
    return [
      {
        kind: 'query',
        message:
          c.query === undefined
            ? 'The registered URI has a query (?…) that the one you are testing lacks.'
            : 'The URI you are testing has a query (?…) that the registered one lacks. Servers compare the query too.',
      },
    ];
  }
  if (normaliseEncoding(c.query) === normaliseEncoding(r.query)) {
    return [{ kind: 'encoding', message: encodingNote(c.query, r.query) }];
  }
  if (sorted(c.query) === sorted(r.query)) {
    return [
      {
        kind: 'query',
        message:
          'The query has the same parameters in a different order; the server compares the text, so order matters.',
      },
    ];
  }
  return [{ kind: 'query', message: 'The query differs.' }];
}

function fragmentDifference({ c, r }: UriPair): RedirectDifference[] {
  if (c.fragment === r.fragment) return [];
  return [
    { kind: 'fragment', message: 'One of them has a # fragment. Fragments are not allowed in redirect URIs at all.' },
  ];
}

/** The comparison's steps, one per part of the URI, in the order their differences are listed. */
const DIFFERENCE_STEPS: readonly ((pair: UriPair) => RedirectDifference[])[] = [
  whitespaceDifference,
  schemeDifference,
  userinfoDifference,
  hostDifference,
  portDifference,
  trailingSlashDifference,
  pathDifference,
  queryDifference,
  fragmentDifference,
];

/** Names every way `candidate` differs from `registered`, comparing component by component. */
function describeDifferences(candidate: string, registered: string): RedirectDifference[] {
  if (candidate === registered) return [];
  const pair = { candidate, registered, c: splitUri(candidate.trim()), r: splitUri(registered.trim()) };
  const differences = DIFFERENCE_STEPS.flatMap((step) => step(pair));
  if (differences.length > 0) return differences;
  return [
    {
      kind: 'other',
      message: 'The two differ in a way that does not fit a single part of the URI; see the character diff.',
    },
  ];
}

const DIFFERENCE_LABELS: Record<RedirectDifferenceKind, string> = {
  whitespace: 'a space or line break at an end',
  scheme: 'scheme',
  'scheme-case': 'scheme case',
  userinfo: 'user name or password',
  host: 'host',
  'host-case': 'host case',
  'localhost-vs-loopback-ip': 'localhost against a loopback IP address',
  port: 'port',
  path: 'path',
  'path-case': 'path case',
  'trailing-slash': 'trailing slash',
  query: 'query',
  fragment: 'fragment',
  encoding: 'percent-encoding',
  other: 'other characters',
};

/** True when both are http loopback IP URIs that differ only in the port (RFC 8252 §7.3). */
function differsOnlyInLoopbackPort(candidate: string, registered: string): boolean {
  const c = splitUri(candidate);
  const r = splitUri(registered);
  return (
    c.scheme === 'http' &&
    r.scheme === 'http' &&
    c.host === r.host &&
    isLoopbackIp(c.host) &&
    c.userinfo === undefined &&
    r.userinfo === undefined &&
    c.path === r.path &&
    c.query === r.query &&
    c.fragment === r.fragment
  );
}

/**
 * Compares a redirect URI with the registered ones the way the server does: simple string
 * comparison (RFC 6749 §3.1.2.3, RFC 3986 §6.2.1, RFC 9700 §4.1.3), and names the differences from
 * the nearest registered URI.
 */
export function compareRedirectUris(candidate: string, registered: string[]): RedirectComparison {
  if (registered.includes(candidate)) {
    return {
      exactMatch: true,
      match: 'exact',
      closest: { registered: candidate, differences: [], diff: candidate ? [{ kind: 'same', text: candidate }] : [] },
      verdict:
        'Exact match. The server will accept this redirect_uri for the client these URIs are registered to, and send the response there. Send the same string again in the token request.',
    };
  }
  if (registered.length === 0) {
    return {
      exactMatch: false,
      match: 'none',
      verdict:
        'No registered redirect URIs to compare with. Copy them from the server’s client settings; the server accepts only an exact match.',
    };
  }

  let best = registered[0];
  let bestDistance = editDistance(candidate, best);
  for (const entry of registered.slice(1)) {
    // The distance is at least the difference in length: skip entries that cannot be nearer.
    if (Math.abs(entry.length - candidate.length) >= bestDistance) continue;
    const distance = editDistance(candidate, entry);
    if (distance < bestDistance) {
      best = entry;
      bestDistance = distance;
    }
  }
  const loopbackEntry = registered.find((entry) => differsOnlyInLoopbackPort(candidate, entry));
  if (loopbackEntry !== undefined) best = loopbackEntry;

  const differences = describeDifferences(candidate, best);
  const closest = { registered: best, differences, diff: diffCharacters(best, candidate) };
  if (loopbackEntry !== undefined) {
    return {
      exactMatch: false,
      match: 'loopback-any-port',
      closest,
      verdict:
        'This differs from a registered loopback URI only in the port. Servers must accept any port on a loopback IP address for native apps (RFC 8252 §7.3), but most compare the port exactly for web apps and will refuse this with redirect_uri_mismatch. For a web app, register this exact port.',
    };
  }
  const labels = [...new Set(differences.map((d) => DIFFERENCE_LABELS[d.kind]))].join(', ');
  const localhostPort =
    differences.length === 1 &&
    differences[0].kind === 'port' &&
    splitUri(candidate).host?.toLowerCase() === 'localhost' &&
    splitUri(best).host?.toLowerCase() === 'localhost';
  return {
    exactMatch: false,
    match: 'none',
    closest,
    verdict:
      `No exact match: the server will refuse this with redirect_uri_mismatch (or show an error page without redirecting back to your app). ` +
      `The nearest registered URI differs in: ${labels}. Make your app send exactly the registered URI, or register this one.` +
      (localhostPort
        ? ' Some servers ignore the port for localhost in native apps, but the rule is meant for 127.0.0.1 and [::1]; use those.'
        : ''),
  };
}
