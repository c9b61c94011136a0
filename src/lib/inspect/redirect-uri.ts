// The redirect-URI lab: lints one redirect URI and compares it with the URIs a developer says are
// registered, the way an authorization server does (simple string comparison, RFC 3986 §6.2.1).
// Framework-free: no svelte, $app or $env imports.
import { isLoopbackHost } from '../base/http.js';

/** How bad a finding is: `error` means the server will refuse the URI (or should). */
export type RedirectSeverity = 'error' | 'warning' | 'info';

/** The stable ids of the linter's rules; the UI may key help text or anchors on them. */
export type RedirectRule =
  | 'empty'
  | 'whitespace'
  | 'invalid-characters'
  | 'not-absolute'
  | 'dangerous-scheme'
  | 'unsupported-scheme'
  | 'private-use-scheme'
  | 'private-use-scheme-no-dot'
  | 'missing-host'
  | 'malformed'
  | 'fragment'
  | 'wildcard'
  | 'userinfo'
  | 'uppercase'
  | 'default-port'
  | 'http-not-loopback'
  | 'loopback-http'
  | 'loopback-not-canonical'
  | 'localhost'
  | 'loopback-port'
  | 'query'
  | 'query-reserved-parameter'
  | 'percent-encoding'
  | 'percent-encoding-invalid'
  | 'non-ascii'
  | 'dot-segments'
  | 'empty-path';

/** One thing the linter noticed, in plain words: what the server will do and what to change. */
export interface RedirectFinding {
  rule: RedirectRule;
  severity: RedirectSeverity;
  message: string;
  /** The section that sets the rule, such as `RFC 6749 §3.1.2`. */
  spec?: string;
}

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

/** A URI split by the regular expression of RFC 3986 Appendix B, on the raw text: nothing normalised. */
interface UriParts {
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
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
// Schemes a browser or the OS would run or read rather than deliver a response to.
const DANGEROUS_SCHEMES = new Set(['javascript', 'data', 'vbscript', 'file', 'blob', 'about', 'filesystem']);
// Registered schemes that are not redirect targets and are not anyone's private-use scheme.
const NON_REDIRECT_SCHEMES = new Set(['ftp', 'ws', 'wss', 'mailto', 'tel', 'sms', 'urn', 'news', 'ldap', 'ssh']);
// Parameters the server adds to the redirect itself (RFC 6749 §4.1.2, RFC 9207 §2, OIDC).
const RESPONSE_PARAMETERS = new Set([
  'code',
  'state',
  'iss',
  'error',
  'error_description',
  'error_uri',
  'session_state',
  'id_token',
  'access_token',
]);
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

function splitUri(text: string): UriParts {
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

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

const INVALID_PERCENT = /%(?![0-9A-Fa-f]{2})/;
const LOWERCASE_HEX = /%(?:[0-9A-F][a-f]|[a-f][0-9A-Fa-f])/;
// %41-%5A, %61-%7A, %30-%39, %2D, %2E, %5F, %7E: unreserved characters that need no encoding.
const ENCODED_UNRESERVED = /%(?:4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2[DE]|5F|7E)/i;

/** Decodes what RFC 3986 §6.2.2 normalisation would (unreserved characters, hex case) plus %2F. */
function normaliseEncoding(value: string): string {
  return value.replace(/%[0-9A-Fa-f]{2}/g, (hex) => {
    const char = String.fromCharCode(parseInt(hex.slice(1), 16));
    return /[A-Za-z0-9\-._~/]/.test(char) ? char : hex.toUpperCase();
  });
}

/** Checks one redirect URI against the rules servers apply (RFC 6749 §3.1.2, RFC 9700 §2.1, RFC 8252 §7–8). */
export function lintRedirectUri(uri: string): RedirectFinding[] {
  const findings: RedirectFinding[] = [];
  const add = (rule: RedirectRule, severity: RedirectSeverity, message: string, spec?: string) =>
    findings.push(spec === undefined ? { rule, severity, message } : { rule, severity, message, spec });

  const text = uri.trim();
  if (text === '') {
    add(
      'empty',
      'error',
      'Enter the redirect URI exactly as your app sends it, for example https://app.example.com/callback.',
      'RFC 6749 §3.1.2',
    );
    return findings;
  }
  if (text !== uri) {
    add(
      'whitespace',
      'error',
      'There is a space, tab or line break at the start or end. The server compares the whole string, so it will not match the registered URI. Delete it here and in the server’s registration (it is a common copy-paste slip).',
      'RFC 3986 §6.2.1',
    );
  }
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (/[\s\x00-\x1F\x7F\\<>"{}|^`]/.test(text)) {
    add(
      'invalid-characters',
      'error',
      'It contains characters that are not allowed in a URI (a space, a control character, a backslash, or one of < > " { } | ^ `). Browsers quietly rewrite or drop them, so what the server receives will not match what is registered. Percent-encode them or remove them.',
      'RFC 3986 §2',
    );
  }

  const parts = splitUri(text);
  if (parts.scheme === undefined || !SCHEME.test(parts.scheme)) {
    add(
      'not-absolute',
      'error',
      'This is not an absolute URI: it has no scheme such as https://. The server will refuse it. Write the full address, for example https://app.example.com/callback.',
      'RFC 6749 §3.1.2',
    );
    return findings;
  }
  const scheme = parts.scheme.toLowerCase();
  if (parts.authority === undefined && /^\d+(?:[/?#]|$)/.test(parts.path)) {
    // "localhost:5173/callback" parses as scheme "localhost": almost always a missing "http://".
    add(
      'not-absolute',
      'error',
      `This looks like host:port without a scheme, so it reads as a URI whose scheme is "${parts.scheme}". Add http:// (loopback) or https:// in front.`,
      'RFC 6749 §3.1.2',
    );
    return findings;
  }
  if (DANGEROUS_SCHEMES.has(scheme)) {
    add(
      'dangerous-scheme',
      'error',
      `A ${scheme}: URI is never a valid redirect: it would run or read something in the browser instead of delivering the response to your app. Servers refuse it. Use your app’s https:// callback address.`,
      'RFC 6749 §3.1.2; RFC 9700 §4.1',
    );
    return findings;
  }

  if (parts.fragment !== undefined) {
    add(
      'fragment',
      'error',
      'Redirect URIs must not contain a # fragment. Servers refuse it at registration or at sign-in. Remove everything from # onwards.',
      'RFC 6749 §3.1.2',
    );
  }
  if (text.includes('*')) {
    add(
      'wildcard',
      'error',
      parts.host?.includes('*')
        ? 'Wildcards are not allowed: the server compares the whole string and treats * as a literal character, so no real address will ever match. Register each exact host you use.'
        : 'The * is taken literally, not as a wildcard: the server compares the whole string. Register each exact URI you use.',
      'RFC 9700 §2.1, §4.1.3',
    );
  }
  if (parts.userinfo !== undefined) {
    add(
      'userinfo',
      'error',
      'It has a user name or password before @. Servers refuse it, and it is a known trick: in https://app.example.com@evil.example/ the real host is evil.example. Remove everything up to and including @.',
      'RFC 3986 §3.2.1; RFC 9700 §4.1',
    );
  }

  const isWeb = scheme === 'http' || scheme === 'https';
  if (!isWeb) {
    if (NON_REDIRECT_SCHEMES.has(scheme)) {
      add(
        'unsupported-scheme',
        'error',
        `The ${scheme}: scheme cannot receive an authorization response. Use your app’s https:// callback address.`,
        'RFC 6749 §3.1.2',
      );
    } else {
      add(
        'private-use-scheme',
        'info',
        'This is a private-use URI scheme for native (mobile or desktop) apps: only an app that registered the scheme with the operating system receives it; a browser app cannot. The server compares it exactly like any other URI.',
        'RFC 8252 §7.1',
      );
      if (!scheme.includes('.')) {
        add(
          'private-use-scheme-no-dot',
          'warning',
          'Private-use schemes must be a reverse domain name you control, such as com.example.app:/callback, so that no other app claims the same scheme. Some servers refuse short schemes like this one.',
          'RFC 8252 §7.1, §8.4',
        );
      }
    }
  }

  if (parts.scheme !== scheme || (parts.host !== undefined && parts.host !== parts.host.toLowerCase())) {
    add(
      'uppercase',
      'warning',
      'The scheme or host has capital letters. Servers compare the exact text, while browsers and most libraries lower-case scheme and host, so what your app sends may differ from what is registered. Write them in lower case, here and in the registration.',
      'RFC 3986 §6.2.2.1; RFC 6749 §3.1.2.3',
    );
  }

  const pathAndQuery = parts.path + (parts.query === undefined ? '' : `?${parts.query}`);
  if (INVALID_PERCENT.test(text)) {
    add(
      'percent-encoding-invalid',
      'error',
      'It has a % that is not followed by two hex digits. Servers either refuse it or decode it differently from the registration. Write a literal % as %25.',
      'RFC 3986 §2.1',
    );
  }
  if (LOWERCASE_HEX.test(pathAndQuery) || ENCODED_UNRESERVED.test(pathAndQuery) || /%2F/i.test(parts.path)) {
    add(
      'percent-encoding',
      'warning',
      'It has percent-encoding that normalisers rewrite: lower-case hex (%2f rather than %2F), or an encoded character that needs no encoding (%7E is ~, %62 is b), or an encoded slash %2F. The server compares the text as written, so register exactly the form your app sends, and prefer the plain form.',
      'RFC 3986 §6.2.2.1, §6.2.2.2; RFC 6749 §3.1.2.3',
    );
  }
  // eslint-disable-next-line no-control-regex -- everything outside ASCII
  if (/[^\x00-\x7F]/.test(text)) {
    const href = parseUrl(text)?.href;
    add(
      'non-ascii',
      'warning',
      `It has characters outside ASCII. Browsers send them percent-encoded (and host names as xn-- punycode)${href ? `, as ${href}` : ''}, while the registration may hold either form. Register the encoded form your app actually sends.`,
      'RFC 3986 §2.1, §3.2.2; RFC 6749 §3.1.2.3',
    );
  }
  if (parts.path.split('/').some((s) => /^(?:\.|%2e){1,2}$/i.test(s))) {
    add(
      'dot-segments',
      'warning',
      'The path has . or .. segments. Browsers remove them, so the URI sent will differ from this text, and some servers refuse them outright. Write the path without them.',
      'RFC 3986 §5.2.4, §6.2.2.3',
    );
  }
  if (parts.query !== undefined) {
    const names = parts.query
      .split('&')
      .map((pair) => pair.split('=')[0])
      .filter((name) => RESPONSE_PARAMETERS.has(name));
    if (names.length > 0) {
      add(
        'query-reserved-parameter',
        'warning',
        `The query already has ${names.join(', ')}, which the server adds to the redirect itself. The response would then carry the parameter twice, and clients must reject that. Use other names.`,
        'RFC 6749 §3.1, §4.1.2',
      );
    }
    add(
      'query',
      'info',
      'A query is allowed, and the server keeps it when it adds code and state. It is compared exactly too, down to parameter order, so register the same query. Do not put per-request values here: use state for those.',
      'RFC 6749 §3.1.2; RFC 9700 §4.1.3',
    );
  }

  if (!isWeb) return findings;

  if (!parts.host) {
    add(
      'missing-host',
      'error',
      'There is no host. Write it as scheme://host/path, for example https://app.example.com/callback.',
      'RFC 6749 §3.1.2',
    );
    return findings;
  }
  const url = parseUrl(text);
  if (!url) {
    if (!findings.some((f) => f.severity === 'error')) {
      add(
        'malformed',
        'error',
        'Browsers cannot parse this URL (check the port is a number up to 65535 and the host has no stray characters). The server will refuse it.',
        'RFC 3986 §3.2',
      );
    }
    return findings;
  }

  if (parts.port !== undefined && parts.port !== '' && Number(parts.port) === Number(DEFAULT_PORTS[scheme])) {
    add(
      'default-port',
      'warning',
      `:${parts.port} is the default port for ${scheme}. Browsers and URL libraries drop it, and https://host:${parts.port}/ and https://host/ are different strings to the server. Remove it, here and in the registration.`,
      'RFC 3986 §6.2.3; RFC 6749 §3.1.2.3',
    );
  }
  if (parts.path === '') {
    add(
      'empty-path',
      'info',
      `The path is empty. Browsers and URL libraries add a slash (${url.href}), and the server counts that as a different URI. Register the form your app sends, ideally a path of its own such as /callback.`,
      'RFC 3986 §6.2.3',
    );
  }

  const loopback = isLoopbackHost(url.hostname);
  if (!loopback) {
    if (scheme === 'http') {
      add(
        'http-not-loopback',
        'error',
        'Plain http:// is allowed only on loopback addresses (127.0.0.1, [::1], localhost): anywhere else the authorization code would cross the network unencrypted. The server will refuse it. Use https://.',
        'RFC 9700 §2.6; RFC 8252 §8.3',
      );
    }
    return findings;
  }

  const rawHost = parts.host.toLowerCase();
  // eslint-disable-next-line no-control-regex -- ASCII check; non-ASCII hosts are reported above
  if (rawHost !== url.hostname && /^[\x00-\x7F]*$/.test(rawHost)) {
    add(
      'loopback-not-canonical',
      'warning',
      `Browsers read this host as ${url.hostname}, but the server compares the text you wrote, and many servers only recognise 127.0.0.1 or [::1] written that way. Write ${url.hostname}.`,
      'RFC 8252 §7.3; RFC 6749 §3.1.2.3',
    );
  }
  if (scheme === 'http') {
    add(
      'loopback-http',
      'info',
      'Plain http:// is accepted here because the address never leaves this machine. RFC 9700 allows it for native apps; many servers also allow it for development web apps. A deployed web app needs https://. Listen on the loopback interface only.',
      'RFC 8252 §8.3; RFC 9700 §2.6',
    );
  }
  if (url.hostname === 'localhost') {
    add(
      'localhost',
      'warning',
      'localhost works with most servers, but 127.0.0.1 or [::1] is preferred: the name can resolve elsewhere (or to IPv6 while your server listens on IPv4), and many servers grant the any-port rule only to IP addresses. The server also treats localhost and 127.0.0.1 as different URIs, and the browser keeps separate storage for each, so open the app at the same host you register.',
      'RFC 8252 §7.3, §8.3',
    );
  }
  add(
    'loopback-port',
    'info',
    parts.port
      ? `For native apps the server must accept any port on a loopback IP address, so a desktop app can take whatever port is free. For a web app most servers compare the port exactly: register :${parts.port} and keep your dev server on it (for example Vite’s strictPort).`
      : `There is no port, so the browser will use port ${DEFAULT_PORTS[scheme]}. A native app may register it like this and add any port at sign-in (the server must accept any port on a loopback IP address), but for a web app most servers compare the port exactly: add the port your dev server listens on, such as :5173.`,
    'RFC 8252 §7.3',
  );
  return findings;
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

/** Names every way `candidate` differs from `registered`, comparing component by component. */
function describeDifferences(candidate: string, registered: string): RedirectDifference[] {
  const out: RedirectDifference[] = [];
  const add = (kind: RedirectDifferenceKind, message: string) => out.push({ kind, message });
  if (candidate === registered) return out;

  if (candidate !== candidate.trim() || registered !== registered.trim()) {
    add(
      'whitespace',
      candidate !== candidate.trim()
        ? 'The URI you are testing has a space or line break at the start or end.'
        : 'The registered URI has a space or line break at the start or end.',
    );
  }
  const c = splitUri(candidate.trim());
  const r = splitUri(registered.trim());

  if (c.scheme !== r.scheme) {
    if (c.scheme?.toLowerCase() === r.scheme?.toLowerCase()) {
      add('scheme-case', `The scheme differs in case: ${c.scheme}: against ${r.scheme}:.`);
    } else {
      add('scheme', `The scheme differs: ${c.scheme ?? '(none)'}: against ${r.scheme ?? '(none)'}:.`);
    }
  }
  if (c.userinfo !== r.userinfo) add('userinfo', 'The part before @ (user name or password) differs.');
  if (c.host !== r.host) {
    const ch = c.host?.toLowerCase();
    const rh = r.host?.toLowerCase();
    if (ch === rh) {
      add('host-case', `The host differs in case: ${c.host} against ${r.host}.`);
    } else if ((ch === 'localhost' && isLoopbackIp(rh)) || (rh === 'localhost' && isLoopbackIp(ch))) {
      add(
        'localhost-vs-loopback-ip',
        `${c.host} against ${r.host}: both reach this machine, but they are different strings to the server and different origins to the browser.`,
      );
    } else if (ch !== undefined && rh !== undefined && asciiHost(ch) !== undefined && asciiHost(ch) === asciiHost(rh)) {
      add('encoding', 'The host is written in two encodings (Unicode against xn-- punycode, or percent-encoded).');
    } else {
      add('host', `The host differs: ${c.host ?? '(none)'} against ${r.host ?? '(none)'}.`);
    }
  }
  if (c.port !== r.port) {
    const fallback = DEFAULT_PORTS[c.scheme?.toLowerCase() ?? ''];
    const effective = (p: string | undefined) => (p === undefined || p === '' ? fallback : String(Number(p)));
    add(
      'port',
      effective(c.port) === effective(r.port)
        ? `${describePort(c.port, c.scheme)} against ${describePort(r.port, r.scheme)}: the browser treats these as the same port, but the server compares the text. Remove the default port on both sides.`
        : `The port differs: ${describePort(c.port, c.scheme)} against ${describePort(r.port, r.scheme)}.`,
    );
  }

  let cp = c.path;
  let rp = r.path;
  if (cp !== rp) {
    const strip = (p: string) => (p.endsWith('/') ? p.slice(0, -1) : p);
    const equivalent = (x: string, y: string) =>
      normaliseEncoding(x).toLowerCase() === normaliseEncoding(y).toLowerCase();
    if (cp.endsWith('/') !== rp.endsWith('/') && equivalent(strip(cp), strip(rp))) {
      add(
        'trailing-slash',
        cp.endsWith('/')
          ? 'The URI you are testing ends in a slash; the registered one does not.'
          : 'The registered URI ends in a slash; the one you are testing does not.',
      );
      cp = strip(cp);
      rp = strip(rp);
    }
    if (cp !== rp) {
      const decodedC = normaliseEncoding(cp);
      const decodedR = normaliseEncoding(rp);
      if (decodedC === decodedR) {
        add('encoding', encodingNote(cp, rp));
      } else if (decodedC.toLowerCase() === decodedR.toLowerCase()) {
        add('path-case', `The path differs in case: ${c.path} against ${r.path}. Paths are case-sensitive.`);
        // "/C%62" against "/cb": the encoding differs as well as the case.
        if (cp.toLowerCase() !== rp.toLowerCase()) add('encoding', encodingNote(cp, rp));
      } else {
        add('path', `The path differs: ${c.path || '(empty)'} against ${r.path || '(empty)'}.`);
      }
    }
  }

  if (c.query !== r.query) {
    const sorted = (q: string) => q.split('&').sort().join('&');
    if (c.query === undefined || r.query === undefined) {
      add(
        'query',
        c.query === undefined
          ? 'The registered URI has a query (?…) that the one you are testing lacks.'
          : 'The URI you are testing has a query (?…) that the registered one lacks. Servers compare the query too.',
      );
    } else if (normaliseEncoding(c.query) === normaliseEncoding(r.query)) {
      add('encoding', encodingNote(c.query, r.query));
    } else if (sorted(c.query) === sorted(r.query)) {
      add(
        'query',
        'The query has the same parameters in a different order; the server compares the text, so order matters.',
      );
    } else {
      add('query', 'The query differs.');
    }
  }
  if (c.fragment !== r.fragment) {
    add('fragment', 'One of them has a # fragment. Fragments are not allowed in redirect URIs at all.');
  }
  if (out.length === 0)
    add('other', 'The two differ in a way that does not fit a single part of the URI; see the character diff.');
  return out;
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
