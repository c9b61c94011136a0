// The redirect-URI linter: one redirect URI checked against the rules servers apply, as a list of
// small named checks run in order. Framework-free: no svelte, $app or $env imports.
import { isLoopbackHost } from '../base/http.js';
import { DEFAULT_PORTS, LOWERCASE_HEX, parseUrl, splitUri, type UriParts } from './uri-parts.js';

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

const INVALID_PERCENT = /%(?![0-9A-Fa-f]{2})/;
// %41-%5A, %61-%7A, %30-%39, %2D, %2E, %5F, %7E: unreserved characters that need no encoding.
const ENCODED_UNRESERVED = /%(?:4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2[DE]|5F|7E)/i;

/** What the linter reads of a URI before any rule runs. */
interface LintedUri {
  /** The URI as given. */
  given: string;
  /** The URI without whitespace at either end. */
  text: string;
  parts: UriParts;
  /** The scheme in lower case; empty when there is no valid scheme. */
  scheme: string;
  isWeb: boolean;
  /** What a browser parses the text as, when it can. */
  url?: URL;
}

/** A web URI with a host that a browser can parse: what the port, path and host rules read. */
interface ParsedUri extends LintedUri {
  host: string;
  url: URL;
  loopback: boolean;
}

/**
 * One rule. `uri` checks read the text (`earlier` holds what the checks before found); a `final`
 * check's finding ends the lint, because the rest would misread the URI. `parsed` checks run only
 * on a web URI a browser can parse, `remote` and `loopback` ones only on such a URI off or on a
 * loopback host.
 */
type RedirectCheck =
  | { on: 'uri'; check: (uri: LintedUri, earlier: readonly RedirectFinding[]) => RedirectFinding[]; final?: true }
  | { on: 'parsed' | 'remote' | 'loopback'; check: (uri: ParsedUri) => RedirectFinding[] };

function found(rule: RedirectRule, severity: RedirectSeverity, message: string, spec?: string): RedirectFinding[] {
  return [spec === undefined ? { rule, severity, message } : { rule, severity, message, spec }];
}

function checkEmpty({ text }: LintedUri): RedirectFinding[] {
  if (text !== '') return [];
  return found(
    'empty',
    'error',
    'Enter the redirect URI exactly as your app sends it, for example https://app.example.com/callback.',
    'RFC 6749 §3.1.2',
  );
}

function checkWhitespace({ given, text }: LintedUri): RedirectFinding[] {
  if (text === given) return [];
  return found(
    'whitespace',
    'error',
    'There is a space, tab or line break at the start or end. The server compares the whole string, so it will not match the registered URI. Delete it here and in the server’s registration (it is a common copy-paste slip).',
    'RFC 3986 §6.2.1',
  );
}

function checkCharacters({ text }: LintedUri): RedirectFinding[] {
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (!/[\s\x00-\x1F\x7F\\<>"{}|^`]/.test(text)) return [];
  return found(
    'invalid-characters',
    'error',
    'It contains characters that are not allowed in a URI (a space, a control character, a backslash, or one of < > " { } | ^ `). Browsers quietly rewrite or drop them, so what the server receives will not match what is registered. Percent-encode them or remove them.',
    'RFC 3986 §2',
  );
}

function checkAbsolute({ scheme }: LintedUri): RedirectFinding[] {
  if (scheme !== '') return [];
  return found(
    'not-absolute',
    'error',
    'This is not an absolute URI: it has no scheme such as https://. The server will refuse it. Write the full address, for example https://app.example.com/callback.',
    'RFC 6749 §3.1.2',
  );
}

function checkHostPortWithoutScheme({ parts }: LintedUri): RedirectFinding[] {
  // "localhost:5173/callback" parses as scheme "localhost": almost always a missing "http://".
  if (parts.authority !== undefined || !/^\d+(?:[/?#]|$)/.test(parts.path)) return [];
  return found(
    'not-absolute',
    'error',
    `This looks like host:port without a scheme, so it reads as a URI whose scheme is "${parts.scheme}". Add http:// (loopback) or https:// in front.`,
    'RFC 6749 §3.1.2',
  );
}

function checkDangerousScheme({ scheme }: LintedUri): RedirectFinding[] {
  if (!DANGEROUS_SCHEMES.has(scheme)) return [];
  return found(
    'dangerous-scheme',
    'error',
    `A ${scheme}: URI is never a valid redirect: it would run or read something in the browser instead of delivering the response to your app. Servers refuse it. Use your app’s https:// callback address.`,
    'RFC 6749 §3.1.2; RFC 9700 §4.1',
  );
}

function checkFragment({ parts }: LintedUri): RedirectFinding[] {
  if (parts.fragment === undefined) return [];
  return found(
    'fragment',
    'error',
    'Redirect URIs must not contain a # fragment. Servers refuse it at registration or at sign-in. Remove everything from # onwards.',
    'RFC 6749 §3.1.2',
  );
}

function checkWildcard({ text, parts }: LintedUri): RedirectFinding[] {
  if (!text.includes('*')) return [];
  return found(
    'wildcard',
    'error',
    parts.host?.includes('*')
      ? 'Wildcards are not allowed: the server compares the whole string and treats * as a literal character, so no real address will ever match. Register each exact host you use.'
      : 'The * is taken literally, not as a wildcard: the server compares the whole string. Register each exact URI you use.',
    'RFC 9700 §2.1, §4.1.3',
  );
}

function checkUserinfo({ parts }: LintedUri): RedirectFinding[] {
  if (parts.userinfo === undefined) return [];
  return found(
    'userinfo',
    'error',
    'It has a user name or password before @. Servers refuse it, and it is a known trick: in https://app.example.com@evil.example/ the real host is evil.example. Remove everything up to and including @.',
    'RFC 3986 §3.2.1; RFC 9700 §4.1',
  );
}

/** A scheme other than http and https: not a redirect target at all, or a native app's own. */
function checkOtherScheme({ scheme, isWeb }: LintedUri): RedirectFinding[] {
  if (isWeb) return [];
  if (NON_REDIRECT_SCHEMES.has(scheme)) {
    return found(
      'unsupported-scheme',
      'error',
      `The ${scheme}: scheme cannot receive an authorization response. Use your app’s https:// callback address.`,
      'RFC 6749 §3.1.2',
    );
  }
  const privateUse = found(
    'private-use-scheme',
    'info',
    'This is a private-use URI scheme for native (mobile or desktop) apps: only an app that registered the scheme with the operating system receives it; a browser app cannot. The server compares it exactly like any other URI.',
    'RFC 8252 §7.1',
  );
  if (scheme.includes('.')) return privateUse;
  return privateUse.concat(
    found(
      'private-use-scheme-no-dot',
      'warning',
      'Private-use schemes must be a reverse domain name you control, such as com.example.app:/callback, so that no other app claims the same scheme. Some servers refuse short schemes like this one.',
      'RFC 8252 §7.1, §8.4',
    ),
  );
}

function checkCase({ parts, scheme }: LintedUri): RedirectFinding[] {
  if (parts.scheme === scheme && (parts.host === undefined || parts.host === parts.host.toLowerCase())) return [];
  return found(
    'uppercase',
    'warning',
    'The scheme or host has capital letters. Servers compare the exact text, while browsers and most libraries lower-case scheme and host, so what your app sends may differ from what is registered. Write them in lower case, here and in the registration.',
    'RFC 3986 §6.2.2.1; RFC 6749 §3.1.2.3',
  );
}

function checkInvalidPercent({ text }: LintedUri): RedirectFinding[] {
  if (!INVALID_PERCENT.test(text)) return [];
  return found(
    'percent-encoding-invalid',
    'error',
    'It has a % that is not followed by two hex digits. Servers either refuse it or decode it differently from the registration. Write a literal % as %25.',
    'RFC 3986 §2.1',
  );
}

function checkPercentEncoding({ parts }: LintedUri): RedirectFinding[] {
  const pathAndQuery = parts.path + (parts.query === undefined ? '' : `?${parts.query}`);
  if (!LOWERCASE_HEX.test(pathAndQuery) && !ENCODED_UNRESERVED.test(pathAndQuery) && !/%2F/i.test(parts.path)) {
    return [];
  }
  return found(
    'percent-encoding',
    'warning',
    'It has percent-encoding that normalisers rewrite: lower-case hex (%2f rather than %2F), or an encoded character that needs no encoding (%7E is ~, %62 is b), or an encoded slash %2F. The server compares the text as written, so register exactly the form your app sends, and prefer the plain form.',
    'RFC 3986 §6.2.2.1, §6.2.2.2; RFC 6749 §3.1.2.3',
  );
}

function checkNonAscii({ text, url }: LintedUri): RedirectFinding[] {
  // eslint-disable-next-line no-control-regex -- everything outside ASCII
  if (!/[^\x00-\x7F]/.test(text)) return [];
  const href = url?.href;
  return found(
    'non-ascii',
    'warning',
    `It has characters outside ASCII. Browsers send them percent-encoded (and host names as xn-- punycode)${href ? `, as ${href}` : ''}, while the registration may hold either form. Register the encoded form your app actually sends.`,
    'RFC 3986 §2.1, §3.2.2; RFC 6749 §3.1.2.3',
  );
}

function checkDotSegments({ parts }: LintedUri): RedirectFinding[] {
  if (!parts.path.split('/').some((s) => /^(?:\.|%2e){1,2}$/i.test(s))) return [];
  return found(
    'dot-segments',
    'warning',
    'The path has . or .. segments. Browsers remove them, so the URI sent will differ from this text, and some servers refuse them outright. Write the path without them.',
    'RFC 3986 §5.2.4, §6.2.2.3',
  );
}

function checkQuery({ parts }: LintedUri): RedirectFinding[] {
  if (parts.query === undefined) return [];
  const names = parts.query
    .split('&')
    .map((pair) => pair.split('=')[0])
    .filter((name) => RESPONSE_PARAMETERS.has(name));
  const reserved =
    names.length === 0
      ? []
      : found(
          'query-reserved-parameter',
          'warning',
          `The query already has ${names.join(', ')}, which the server adds to the redirect itself. The response would then carry the parameter twice, and clients must reject that. Use other names.`,
          'RFC 6749 §3.1, §4.1.2',
        );
  return reserved.concat(
    found(
      'query',
      'info',
      'A query is allowed, and the server keeps it when it adds code and state. It is compared exactly too, down to parameter order, so register the same query. Do not put per-request values here: use state for those.',
      'RFC 6749 §3.1.2; RFC 9700 §4.1.3',
    ),
  );
}

function checkHost({ isWeb, parts }: LintedUri): RedirectFinding[] {
  if (!isWeb || parts.host) return [];
  return found(
    'missing-host',
    'error',
    'There is no host. Write it as scheme://host/path, for example https://app.example.com/callback.',
    'RFC 6749 §3.1.2',
  );
}

/** A web URI with a host that browsers cannot parse; said only when no error names a reason already. */
function checkParses({ isWeb, parts, url }: LintedUri, earlier: readonly RedirectFinding[]): RedirectFinding[] {
  if (!isWeb || !parts.host || url || earlier.some((f) => f.severity === 'error')) return [];
  return found(
    'malformed',
    'error',
    'Browsers cannot parse this URL (check the port is a number up to 65535 and the host has no stray characters). The server will refuse it.',
    'RFC 3986 §3.2',
  );
}

function checkDefaultPort({ parts, scheme }: ParsedUri): RedirectFinding[] {
  if (parts.port === undefined || parts.port === '' || Number(parts.port) !== Number(DEFAULT_PORTS[scheme])) return [];
  return found(
    'default-port',
    'warning',
    `:${parts.port} is the default port for ${scheme}. Browsers and URL libraries drop it, and https://host:${parts.port}/ and https://host/ are different strings to the server. Remove it, here and in the registration.`,
    'RFC 3986 §6.2.3; RFC 6749 §3.1.2.3',
  );
}

function checkEmptyPath({ parts, url }: ParsedUri): RedirectFinding[] {
  if (parts.path !== '') return [];
  return found(
    'empty-path',
    'info',
    `The path is empty. Browsers and URL libraries add a slash (${url.href}), and the server counts that as a different URI. Register the form your app sends, ideally a path of its own such as /callback.`,
    'RFC 3986 §6.2.3',
  );
}

function checkHttpOffLoopback({ scheme }: ParsedUri): RedirectFinding[] {
  if (scheme !== 'http') return [];
  return found(
    'http-not-loopback',
    'error',
    'Plain http:// is allowed only on loopback addresses (127.0.0.1, [::1], localhost): anywhere else the authorization code would cross the network unencrypted. The server will refuse it. Use https://.',
    'RFC 9700 §2.6; RFC 8252 §8.3',
  );
}

function checkLoopbackSpelling({ host, url }: ParsedUri): RedirectFinding[] {
  const rawHost = host.toLowerCase();
  // eslint-disable-next-line no-control-regex -- ASCII check; non-ASCII hosts are reported above
  if (rawHost === url.hostname || !/^[\x00-\x7F]*$/.test(rawHost)) return [];
  return found(
    'loopback-not-canonical',
    'warning',
    `Browsers read this host as ${url.hostname}, but the server compares the text you wrote, and many servers only recognise 127.0.0.1 or [::1] written that way. Write ${url.hostname}.`,
    'RFC 8252 §7.3; RFC 6749 §3.1.2.3',
  );
}

function checkLoopbackHttp({ scheme }: ParsedUri): RedirectFinding[] {
  if (scheme !== 'http') return [];
  return found(
    'loopback-http',
    'info',
    'Plain http:// is accepted here because the address never leaves this machine. RFC 9700 allows it for native apps; many servers also allow it for development web apps. A deployed web app needs https://. Listen on the loopback interface only.',
    'RFC 8252 §8.3; RFC 9700 §2.6',
  );
}

function checkLocalhost({ url }: ParsedUri): RedirectFinding[] {
  if (url.hostname !== 'localhost') return [];
  return found(
    'localhost',
    'warning',
    'localhost works with most servers, but 127.0.0.1 or [::1] is preferred: the name can resolve elsewhere (or to IPv6 while your server listens on IPv4), and many servers grant the any-port rule only to IP addresses. The server also treats localhost and 127.0.0.1 as different URIs, and the browser keeps separate storage for each, so open the app at the same host you register.',
    'RFC 8252 §7.3, §8.3',
  );
}

function checkLoopbackPort({ parts, scheme }: ParsedUri): RedirectFinding[] {
  return found(
    'loopback-port',
    'info',
    parts.port
      ? `For native apps the server must accept any port on a loopback IP address, so a desktop app can take whatever port is free. For a web app most servers compare the port exactly: register :${parts.port} and keep your dev server on it (for example Vite’s strictPort).`
      : `There is no port, so the browser will use port ${DEFAULT_PORTS[scheme]}. A native app may register it like this and add any port at sign-in (the server must accept any port on a loopback IP address), but for a web app most servers compare the port exactly: add the port your dev server listens on, such as :5173.`,
    'RFC 8252 §7.3',
  );
}

/** The linter's rules, in the order their findings are listed. */
const RULES: readonly RedirectCheck[] = [
  { on: 'uri', check: checkEmpty, final: true },
  { on: 'uri', check: checkWhitespace },
  { on: 'uri', check: checkCharacters },
  { on: 'uri', check: checkAbsolute, final: true },
  { on: 'uri', check: checkHostPortWithoutScheme, final: true },
  { on: 'uri', check: checkDangerousScheme, final: true },
  { on: 'uri', check: checkFragment },
  { on: 'uri', check: checkWildcard },
  { on: 'uri', check: checkUserinfo },
  { on: 'uri', check: checkOtherScheme },
  { on: 'uri', check: checkCase },
  { on: 'uri', check: checkInvalidPercent },
  { on: 'uri', check: checkPercentEncoding },
  { on: 'uri', check: checkNonAscii },
  { on: 'uri', check: checkDotSegments },
  { on: 'uri', check: checkQuery },
  { on: 'uri', check: checkHost, final: true },
  { on: 'uri', check: checkParses },
  { on: 'parsed', check: checkDefaultPort },
  { on: 'parsed', check: checkEmptyPath },
  { on: 'remote', check: checkHttpOffLoopback },
  { on: 'loopback', check: checkLoopbackSpelling },
  { on: 'loopback', check: checkLoopbackHttp },
  { on: 'loopback', check: checkLocalhost },
  { on: 'loopback', check: checkLoopbackPort },
];

function readUri(given: string): LintedUri {
  const text = given.trim();
  const parts = splitUri(text);
  const scheme = parts.scheme !== undefined && SCHEME.test(parts.scheme) ? parts.scheme.toLowerCase() : '';
  return { given, text, parts, scheme, isWeb: scheme === 'http' || scheme === 'https', url: parseUrl(text) };
}

function parsedUri(uri: LintedUri): ParsedUri | undefined {
  const { isWeb, parts, url } = uri;
  if (!isWeb || !parts.host || !url) return undefined;
  return { ...uri, host: parts.host, url, loopback: isLoopbackHost(url.hostname) };
}

function runCheck(
  rule: RedirectCheck,
  uri: LintedUri,
  parsed: ParsedUri | undefined,
  earlier: readonly RedirectFinding[],
): RedirectFinding[] {
  if (rule.on === 'uri') return rule.check(uri, earlier);
  if (!parsed || (rule.on === 'remote' && parsed.loopback) || (rule.on === 'loopback' && !parsed.loopback)) return [];
  return rule.check(parsed);
}

/** Checks one redirect URI against the rules servers apply (RFC 6749 §3.1.2, RFC 9700 §2.1, RFC 8252 §7–8). */
export function lintRedirectUri(uri: string): RedirectFinding[] {
  const linted = readUri(uri);
  const parsed = parsedUri(linted);
  const findings: RedirectFinding[] = [];
  for (const rule of RULES) {
    const added = runCheck(rule, linted, parsed, findings);
    findings.push(...added);
    if (added.length > 0 && rule.on === 'uri' && rule.final) break;
  }
  return findings;
}
