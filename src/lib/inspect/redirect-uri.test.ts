import { describe, expect, it } from 'vitest';
import { compareRedirectUris, diffCharacters, type DiffSegment } from './redirect-uri.js';
import { lintRedirectUri, type RedirectRule, type RedirectSeverity } from './redirect-lint.js';

const rulesOf = (uri: string) => lintRedirectUri(uri).map((f) => f.rule);
const problemsOf = (uri: string) => lintRedirectUri(uri).filter((f) => f.severity !== 'info');
const kindsOf = (candidate: string, registered: string[]) =>
  compareRedirectUris(candidate, registered).closest?.differences.map((d) => d.kind);

/** Rebuilds both sides of a diff: `same` + `removed` is the registered URI, `same` + `added` the candidate. */
function sides(segments: DiffSegment[]): { registered: string; candidate: string } {
  return {
    registered: segments
      .filter((s) => s.kind !== 'added')
      .map((s) => s.text)
      .join(''),
    candidate: segments
      .filter((s) => s.kind !== 'removed')
      .map((s) => s.text)
      .join(''),
  };
}

describe('lintRedirectUri: hostile and broken input', () => {
  const cases: [string, string, RedirectRule, RedirectSeverity][] = [
    ['#18 fragment', 'https://app.example.com/cb#x', 'fragment', 'error'],
    ['#18 empty fragment', 'https://app.example.com/cb#', 'fragment', 'error'],
    ['#18 relative path', '/cb', 'not-absolute', 'error'],
    ['#18 no scheme', 'app.example.com/cb', 'not-absolute', 'error'],
    ['#18 host:port with no scheme', 'localhost:5173/callback', 'not-absolute', 'error'],
    ['#18 empty', '', 'empty', 'error'],
    ['#18 blank', ' \t ', 'empty', 'error'],
    ['#17 http on a public host', 'http://app.example.com/cb', 'http-not-loopback', 'error'],
    ['#17 http on a private address', 'http://192.168.1.5:3000/cb', 'http-not-loopback', 'error'],
    ['#17 http on 0.0.0.0', 'http://0.0.0.0:5173/cb', 'http-not-loopback', 'error'],
    ['#17 loopback look-alike', 'http://127.0.0.1.nip.io/cb', 'http-not-loopback', 'error'],
    ['#17 localhost look-alike', 'http://localhost.evil.example/cb', 'http-not-loopback', 'error'],
    ['#17 http on loopback is noted', 'http://127.0.0.1:8080/cb', 'loopback-http', 'info'],
    ['#16 localhost', 'http://localhost:3000/cb', 'localhost', 'warning'],
    ['#16 LOCALHOST', 'http://LOCALHOST:3000/cb', 'localhost', 'warning'],
    ['#16 loopback port rules', 'http://127.0.0.1:5173/cb', 'loopback-port', 'info'],
    ['#16 loopback without port', 'http://[::1]/cb', 'loopback-port', 'info'],
    ['#16 loopback as a number', 'http://2130706433/cb', 'loopback-not-canonical', 'warning'],
    ['#16 loopback IPv6 long form', 'http://[0:0:0:0:0:0:0:1]/cb', 'loopback-not-canonical', 'warning'],
    ['#19 wildcard host', 'https://*.example.com/cb', 'wildcard', 'error'],
    ['#19 wildcard path', 'https://app.example.com/*', 'wildcard', 'error'],
    ['#19 wildcard port', 'http://127.0.0.1:*/cb', 'wildcard', 'error'],
    ['#19 private-use scheme without a dot', 'myapp:/cb', 'private-use-scheme-no-dot', 'warning'],
    ['#19 reverse-domain private-use scheme', 'com.example.app:/oauth', 'private-use-scheme', 'info'],
    ['javascript:', 'javascript:alert(1)', 'dangerous-scheme', 'error'],
    ['JavaScript: in mixed case', 'JavaScript:alert(1)', 'dangerous-scheme', 'error'],
    ['javascript: after a space', ' javascript:alert(1)', 'dangerous-scheme', 'error'],
    ['data:', 'data:text/html,<script>alert(1)</script>', 'dangerous-scheme', 'error'],
    ['vbscript:', 'vbscript:msgbox(1)', 'dangerous-scheme', 'error'],
    ['file:', 'file:///etc/passwd', 'dangerous-scheme', 'error'],
    ['ftp:', 'ftp://app.example.com/cb', 'unsupported-scheme', 'error'],
    ['user and password', 'https://user:pass@app.example.com/cb', 'userinfo', 'error'],
    ['@ host trick', 'https://app.example.com@evil.example/cb', 'userinfo', 'error'],
    ['trailing space', 'https://app.example.com/cb ', 'whitespace', 'error'],
    ['leading tab', '\thttps://app.example.com/cb', 'whitespace', 'error'],
    ['trailing newline', 'https://app.example.com/cb\n', 'whitespace', 'error'],
    ['inner space', 'https://app.example.com/c b', 'invalid-characters', 'error'],
    ['backslash host trick', 'https://app.example.com\\@evil.example/cb', 'invalid-characters', 'error'],
    ['angle brackets', 'https://app.example.com/cb<script>', 'invalid-characters', 'error'],
    ['upper-case scheme', 'HTTPS://app.example.com/cb', 'uppercase', 'warning'],
    ['upper-case host', 'https://APP.example.com/cb', 'uppercase', 'warning'],
    ['explicit :443', 'https://app.example.com:443/cb', 'default-port', 'warning'],
    ['explicit :80', 'http://127.0.0.1:80/cb', 'default-port', 'warning'],
    ['query', 'https://app.example.com/cb?tenant=a', 'query', 'info'],
    ['query with state', 'https://app.example.com/cb?state=abc', 'query-reserved-parameter', 'warning'],
    ['query with code', 'https://app.example.com/cb?x=1&code=abc', 'query-reserved-parameter', 'warning'],
    ['encoded unreserved letter', 'https://app.example.com/c%62', 'percent-encoding', 'warning'],
    ['encoded tilde', 'https://app.example.com/%7Euser', 'percent-encoding', 'warning'],
    ['lower-case hex', 'https://app.example.com/cb?next=%2fhome', 'percent-encoding', 'warning'],
    ['encoded slash in path', 'https://app.example.com/a%2Fb', 'percent-encoding', 'warning'],
    ['bare %', 'https://app.example.com/100%', 'percent-encoding-invalid', 'error'],
    ['% with non-hex', 'https://app.example.com/%zz', 'percent-encoding-invalid', 'error'],
    ['non-ASCII host', 'https://bücher.example/cb', 'non-ascii', 'warning'],
    ['non-ASCII path', 'https://app.example.com/café', 'non-ascii', 'warning'],
    ['bidi override', 'https://app.example.com/cb\u202E', 'non-ascii', 'warning'],
    ['.. segment', 'https://app.example.com/a/../cb', 'dot-segments', 'warning'],
    ['. segment', 'https://app.example.com/./cb', 'dot-segments', 'warning'],
    ['encoded .. segment', 'https://app.example.com/%2e%2e/cb', 'dot-segments', 'warning'],
    ['empty path', 'https://app.example.com', 'empty-path', 'info'],
    ['port out of range', 'https://app.example.com:99999/cb', 'malformed', 'error'],
    ['port not a number', 'https://app.example.com:abc/cb', 'malformed', 'error'],
    ['no host', 'https:///cb', 'missing-host', 'error'],
    ['port without host', 'https://:443/cb', 'missing-host', 'error'],
  ];

  it.each(cases)('%s: %j → %s (%s)', (_name, uri, rule, severity) => {
    const finding = lintRedirectUri(uri).find((f) => f.rule === rule);
    expect(finding, `rules found: ${rulesOf(uri).join(', ')}`).toBeDefined();
    expect(finding?.severity).toBe(severity);
  });

  it.each(cases)('%s: every finding has a message and a spec section', (_name, uri) => {
    const findings = lintRedirectUri(uri);
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) {
      expect(f.message.length).toBeGreaterThan(30);
      expect(f.spec).toMatch(/^RFC \d+ §\d/);
    }
  });

  it('#18 stops at a URI that is not absolute: no other rule is guessed at', () => {
    expect(rulesOf('/cb#x')).toEqual(['not-absolute']);
  });

  it('does not call a dangerous scheme a private-use scheme', () => {
    expect(rulesOf('javascript:alert(1)')).toEqual(['dangerous-scheme']);
  });

  it('reports http on a public host even when the URI is otherwise clean', () => {
    expect(problemsOf('http://app.example.com/cb').map((f) => f.rule)).toEqual(['http-not-loopback']);
  });

  it('#16 names 127.0.0.1 and [::1] as the preferred loopback hosts in the localhost warning', () => {
    const message = lintRedirectUri('http://localhost:5173/callback').find((f) => f.rule === 'localhost')?.message;
    expect(message).toContain('127.0.0.1');
    expect(message).toContain('[::1]');
  });

  it('#16 the loopback port note names the registered port, or says there is none', () => {
    const withPort = lintRedirectUri('http://127.0.0.1:5173/cb').find((f) => f.rule === 'loopback-port');
    const withoutPort = lintRedirectUri('http://127.0.0.1/cb').find((f) => f.rule === 'loopback-port');
    expect(withPort?.message).toContain(':5173');
    expect(withoutPort?.message).toContain('port 80');
  });

  it('lints a 100,000-character URI quickly without throwing', () => {
    const start = performance.now();
    const findings = lintRedirectUri(`https://app.example.com/${'a%'.repeat(50_000)}`);
    expect(performance.now() - start).toBeLessThan(1000);
    expect(findings.map((f) => f.rule)).toContain('percent-encoding-invalid');
  });
});

describe('lintRedirectUri: acceptable URIs', () => {
  it('finds nothing at all in a plain https redirect URI', () => {
    expect(lintRedirectUri('https://app.example.com/cb')).toEqual([]);
  });

  it.each([
    ['#18 query kept', 'https://app.example.com/cb?tenant=a'],
    ['#17 loopback http', 'http://127.0.0.1:8080/cb'],
    ['#16 IPv6 loopback', 'http://[::1]:61023/oauth2redirect/example-provider'],
    ['#19 reverse-domain scheme', 'com.example.app:/oauth2redirect/example-provider'],
    ['sandbox callback', 'http://127.0.0.1:5173/callback'],
  ])('%s: %s has no errors or warnings', (_name, uri) => {
    expect(problemsOf(uri)).toEqual([]);
  });
});

describe('compareRedirectUris (#15: exact string comparison)', () => {
  const registered = ['https://app.example.com/cb'];

  it.each([
    ['trailing slash', 'https://app.example.com/cb/', ['trailing-slash']],
    ['scheme case', 'HTTPS://app.example.com/cb', ['scheme-case']],
    ['host case', 'https://APP.example.com/cb', ['host-case']],
    ['explicit default port', 'https://app.example.com:443/cb', ['port']],
    ['percent-encoding', 'https://app.example.com/c%62', ['encoding']],
    ['query not registered', 'https://app.example.com/cb?x=1', ['query']],
    ['scheme', 'http://app.example.com/cb', ['scheme']],
    ['path case', 'https://app.example.com/CB', ['path-case']],
    ['path', 'https://app.example.com/callback', ['path']],
    ['fragment', 'https://app.example.com/cb#x', ['fragment']],
    ['trailing space', 'https://app.example.com/cb ', ['whitespace']],
    ['host', 'https://other.example.com/cb', ['host']],
    ['other port', 'https://app.example.com:8443/cb', ['port']],
    ['user name', 'https://me@app.example.com/cb', ['userinfo']],
    ['several at once', 'HTTPS://APP.example.com:443/cb/', ['scheme-case', 'host-case', 'port', 'trailing-slash']],
    ['case and encoding', 'https://app.example.com/C%62', ['path-case', 'encoding']],
  ])('#15 %s: %s → MISMATCH %j', (_name, candidate, kinds) => {
    const result = compareRedirectUris(candidate, registered);
    expect(result.exactMatch).toBe(false);
    expect(result.match).toBe('none');
    expect(result.closest?.registered).toBe(registered[0]);
    expect(result.closest?.differences.map((d) => d.kind)).toEqual(kinds);
    expect(result.verdict).toContain('redirect_uri_mismatch');
  });

  it('#15 the same string → MATCH, with no differences', () => {
    const result = compareRedirectUris('https://app.example.com/cb', registered);
    expect(result).toMatchObject({ exactMatch: true, match: 'exact' });
    expect(result.closest?.differences).toEqual([]);
    expect(result.verdict).not.toContain('redirect_uri_mismatch');
  });

  it.each([
    ['encoded slash', 'https://app.example.com/a/b', 'https://app.example.com/a%2Fb', '%2F'],
    ['encoded tilde', 'https://app.example.com/~user', 'https://app.example.com/%7Euser', '%7E'],
    ['hex case', 'https://app.example.com/cb?next=%2Fhome', 'https://app.example.com/cb?next=%2fhome', 'lower-case'],
  ])('#15 encoding: %s is named', (_name, reg, candidate, named) => {
    const differences = compareRedirectUris(candidate, [reg]).closest?.differences ?? [];
    expect(differences.map((d) => d.kind)).toEqual(['encoding']);
    expect(differences[0].message).toContain(named);
  });

  it('tells localhost from a loopback IP address', () => {
    expect(kindsOf('http://localhost:5173/callback', ['http://127.0.0.1:5173/callback'])).toEqual([
      'localhost-vs-loopback-ip',
    ]);
    expect(kindsOf('http://[::1]:5173/callback', ['http://localhost:5173/callback'])).toEqual([
      'localhost-vs-loopback-ip',
    ]);
  });

  it('reports query parameters in another order as a query difference', () => {
    const result = compareRedirectUris('https://app.example.com/cb?b=2&a=1', ['https://app.example.com/cb?a=1&b=2']);
    expect(result.closest?.differences.map((d) => d.kind)).toEqual(['query']);
    expect(result.closest?.differences[0].message).toContain('order');
  });

  it('picks the registered URI with the smallest edit distance, whatever the order of the list', () => {
    const list = [
      'https://a.example.com/callback',
      'https://app.example.com/cb',
      'https://app.example.com/cb/extra/path',
      'http://127.0.0.1:5173/callback',
    ];
    expect(compareRedirectUris('https://app.example.com/cb/', list).closest?.registered).toBe(list[1]);
    expect(compareRedirectUris('https://app.example.com/cb/', [...list].reverse()).closest?.registered).toBe(list[1]);
    expect(compareRedirectUris('http://127.0.0.1:5174/callback', list).closest?.registered).toBe(list[3]);
  });

  it('says so when nothing is registered', () => {
    const result = compareRedirectUris('https://app.example.com/cb', []);
    expect(result).toMatchObject({ exactMatch: false, match: 'none' });
    expect(result.closest).toBeUndefined();
    expect(result.verdict.length).toBeGreaterThan(20);
  });

  it('gives the character diff of the closest URI', () => {
    const result = compareRedirectUris('https://app.example.com/cb/', registered);
    expect(result.closest?.diff).toEqual([
      { kind: 'same', text: 'https://app.example.com/cb' },
      { kind: 'added', text: '/' },
    ]);
  });

  it('compares 1,000 long registered URIs quickly', () => {
    const list = Array.from({ length: 1000 }, (_, i) => `https://app.example.com/${'x'.repeat(1500)}${i}`);
    const start = performance.now();
    const result = compareRedirectUris(`https://app.example.com/${'y'.repeat(1500)}`, list);
    expect(performance.now() - start).toBeLessThan(3000);
    expect(result.exactMatch).toBe(false);
    expect(result.closest).toBeDefined();
  });
});

describe('compareRedirectUris (#16: loopback ports)', () => {
  it('#16 http://127.0.0.1:51004/cb against http://127.0.0.1/cb → MATCH only by the loopback port rule', () => {
    const result = compareRedirectUris('http://127.0.0.1:51004/cb', [
      'https://app.example.com/cb',
      'http://127.0.0.1/cb',
    ]);
    expect(result).toMatchObject({ exactMatch: false, match: 'loopback-any-port' });
    expect(result.closest?.registered).toBe('http://127.0.0.1/cb');
    expect(result.closest?.differences.map((d) => d.kind)).toEqual(['port']);
    expect(result.verdict).toContain('RFC 8252 §7.3');
  });

  it('#16 http://[::1]:61023/cb against http://[::1]/cb → MATCH by the loopback port rule', () => {
    expect(compareRedirectUris('http://[::1]:61023/cb', ['http://[::1]/cb']).match).toBe('loopback-any-port');
  });

  it('#16 http://127.0.0.1:51004/cb2 → MISMATCH on path (and port)', () => {
    const result = compareRedirectUris('http://127.0.0.1:51004/cb2', ['http://127.0.0.1/cb']);
    expect(result.match).toBe('none');
    expect(result.closest?.differences.map((d) => d.kind)).toEqual(['port', 'path']);
  });

  it.each([
    ['localhost (the rule is for IP literals)', 'http://localhost:3000/cb', 'http://localhost/cb'],
    ['https on loopback', 'https://127.0.0.1:8443/cb', 'https://127.0.0.1/cb'],
    ['a public host', 'http://app.example.com:8080/cb', 'http://app.example.com/cb'],
  ])('#16 no port exemption for %s', (_name, candidate, reg) => {
    const result = compareRedirectUris(candidate, [reg]);
    expect(result.match).toBe('none');
    expect(result.closest?.differences.map((d) => d.kind)).toEqual(['port']);
  });

  it('#16 a localhost port mismatch points to 127.0.0.1 and [::1]', () => {
    expect(compareRedirectUris('http://localhost:3000/cb', ['http://localhost/cb']).verdict).toContain('127.0.0.1');
  });
});

describe('diffCharacters', () => {
  it.each([
    ['', ''],
    ['', 'https://app.example.com/cb'],
    ['https://app.example.com/cb', ''],
    ['https://app.example.com/cb', 'https://app.example.com/cb/'],
    ['https://app.example.com/cb', 'HTTPS://APP.example.com:443/cb'],
    ['http://127.0.0.1:5173/callback', 'http://localhost:5173/callback'],
    ['https://bücher.example/cb', 'https://xn--bcher-kva.example/cb'],
    ['abc', 'xyz'],
    ['https://app.example.com/a%2Fb', 'https://app.example.com/a/b'],
  ])('rebuilds both sides of %j → %j, with no two neighbours of one kind', (registered, candidate) => {
    const segments = diffCharacters(registered, candidate);
    expect(sides(segments)).toEqual({ registered, candidate });
    for (let i = 1; i < segments.length; i++) expect(segments[i].kind).not.toBe(segments[i - 1].kind);
    for (const s of segments) expect(s.text).not.toBe('');
  });

  it('marks exactly the changed characters', () => {
    expect(diffCharacters('abc', 'axc')).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'added', text: 'x' },
      { kind: 'same', text: 'c' },
    ]);
    expect(diffCharacters('https://a.example/cb', 'https://a.example:443/cb')).toEqual([
      { kind: 'same', text: 'https://a.example' },
      { kind: 'added', text: ':443' },
      { kind: 'same', text: '/cb' },
    ]);
  });

  it('handles 20,000-character inputs quickly and still rebuilds both sides', () => {
    const registered = `https://app.example.com/${'a'.repeat(10_000)}${'b'.repeat(10_000)}`;
    const candidate = `https://app.example.com/${'b'.repeat(10_000)}${'a'.repeat(10_000)}`;
    const start = performance.now();
    const segments = diffCharacters(registered, candidate);
    expect(performance.now() - start).toBeLessThan(1000);
    expect(sides(segments)).toEqual({ registered, candidate });
  });
});
