import { describe, expect, it } from 'vitest';
import { isFieldpassError } from '../base/errors.js';
import { createMemoryStore } from '../base/memory-store.js';
import {
  PROFILE_KEY_PREFIX,
  createProfileStore,
  exportProfiles,
  findImportClashes,
  importProfiles,
  resolveImportClashes,
} from './profiles.js';
import { PROFILE_TEMPLATES, profileFromTemplate, sandboxProfile, scopeKindOf } from './profile-templates.js';
import { PROFILE_TEMPLATE_IDS, newProfileId, type Profile } from './profile-model.js';
import {
  SECRETS_NEVER_IMPORTED,
  findIssuerConflict,
  validateProfile,
  type ProfileIssueCode,
} from './profile-validation.js';

const APP = 'http://127.0.0.1:5173';
const CANARY = 'canary-7f3e9a1c';

const base = (over: Partial<Profile> & Record<string, unknown> = {}): Profile =>
  ({
    id: 'p1',
    name: 'Test',
    kind: 'authorization_code',
    template: 'custom',
    issuer: 'https://as.example.com',
    clientId: 'client-1',
    redirectUri: `${APP}/inspect/callback`,
    registeredRedirectUris: [`${APP}/inspect/callback`],
    scopes: ['read:assets'],
    clientAuth: 'none',
    ...over,
  }) as Profile;

const file = (profiles: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ format: 'fieldpass-profiles', version: 1, profiles, ...extra });

function imported(json: string) {
  const result = importProfiles(json);
  if ('error' in result) throw new Error(`expected an import, got ${result.error}`);
  return result;
}

const codesOf = (issues: { code: ProfileIssueCode; field?: string }[]) => issues.map((i) => [i.code, i.field]);

describe('templates', () => {
  it('has one template per id', () => {
    expect(PROFILE_TEMPLATES.map((t) => t.template)).toEqual(PROFILE_TEMPLATE_IDS);
  });

  it.each(PROFILE_TEMPLATE_IDS.map((id) => [id]))('%s: makes a profile that validates with no issue', (id) => {
    const profile = profileFromTemplate(id, APP);
    const checked = validateProfile(profile);
    expect(checked).toEqual({ profile, issues: [] });
    expect(profile.template).toBe(id);
  });

  it.each([
    ['fentu', 'authorization_code', 'none', 'fentu'],
    ['fenergo-tm', 'client_credentials', 'client_secret_post', 'fenergo'],
    ['fenergo-saas', 'client_credentials', 'client_secret_post', 'fenergo'],
    ['fenris', 'client_credentials', 'client_secret_basic', 'fenris'],
    ['sandbox', 'authorization_code', 'none', 'fentu'],
    ['custom', 'authorization_code', 'none', 'none'],
  ] as const)('%s: %s with %s, scope rules %s', (id, kind, clientAuth, scopeKind) => {
    const profile = profileFromTemplate(id, APP);
    expect(profile).toMatchObject({ kind, clientAuth });
    expect(scopeKindOf(profile)).toBe(scopeKind);
    if (kind === 'authorization_code') expect(profile.redirectUri).toBe(`${APP}/inspect/callback`);
    else expect(profile.redirectUri).toBeUndefined();
  });

  it('fills in what each provider document says', () => {
    expect(profileFromTemplate('fentu', APP).scopes).toEqual(['read:work-orders', 'read:customers', 'read:assets']);
    expect(profileFromTemplate('fenergo-tm', APP).scopes).toEqual(['tenant/<tenant-id>']);
    const saas = profileFromTemplate('fenergo-saas', APP);
    expect(saas.endpoints).toEqual({ token_endpoint: 'https://identity.fenergox.com/connect/token' });
    expect(saas.scopes).toEqual(['fenx.entitydata.read', 'fenx.journey.read']);
    expect(profileFromTemplate('fenris', APP).scopes).toEqual([]);
  });

  it('sandboxProfile: the local issuer, client fieldpass, and the inspector callback registered', () => {
    const profile = sandboxProfile('http://127.0.0.1:4173/');
    expect(profile).toMatchObject({
      issuer: 'http://127.0.0.1:9000',
      clientId: 'fieldpass',
      redirectUri: 'http://127.0.0.1:4173/inspect/callback',
      registeredRedirectUris: ['http://127.0.0.1:4173/inspect/callback'],
      clientAuth: 'none',
    });
  });

  it('refuses an app origin that is not a URL', () => {
    expect(() => sandboxProfile('not a url')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('gives each profile its own id and its own copy of the defaults', () => {
    const a = profileFromTemplate('fentu', APP);
    const b = profileFromTemplate('fentu', APP);
    expect(a.id).not.toBe(b.id);
    a.scopes.push('admin');
    expect(b.scopes).not.toContain('admin');
    expect(PROFILE_TEMPLATES[0].defaults.scopes).not.toContain('admin');
    expect(() => (PROFILE_TEMPLATES[0].defaults.scopes as string[]).push('admin')).toThrow(TypeError);
  });

  it('holds no secret field', () => {
    const json = JSON.stringify(PROFILE_TEMPLATES);
    expect(json).not.toMatch(/client_?secret"\s*:/i);
    expect(json).not.toMatch(/sandbox-\w+-secret/);
  });
});

describe('newProfileId', () => {
  it('is 22 base64url characters and never repeats', () => {
    const ids = new Set(Array.from({ length: 1000 }, newProfileId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('exportProfiles (#64)', () => {
  const smuggled = base({
    client_secret: CANARY,
    clientSecret: CANARY,
    access_token: CANARY,
    tokens: { refresh_token: CANARY },
    endpoints: { token_endpoint: 'https://as.example.com/token', client_secret: CANARY } as never,
    notes: 'fine',
  });

  it('writes the format and version, and never a secret a caller smuggled in', () => {
    const json = exportProfiles([smuggled]);
    const data = JSON.parse(json);
    expect(data).toMatchObject({ format: 'fieldpass-profiles', version: 1 });
    expect(json).not.toContain(CANARY);
    expect(Object.keys(data.profiles[0]).sort()).toEqual(
      [
        'id',
        'name',
        'kind',
        'template',
        'issuer',
        'endpoints',
        'clientId',
        'redirectUri',
        'registeredRedirectUris',
        'scopes',
        'clientAuth',
        'notes',
      ].sort(),
    );
    expect(data.profiles[0].endpoints).toEqual({ token_endpoint: 'https://as.example.com/token' });
  });

  it('drops an issuer carrying a password and an endpoint carrying a secret in its query', () => {
    const json = exportProfiles([
      base({
        issuer: `https://user:${CANARY}@as.example.com`,
        endpoints: { token_endpoint: `https://as.example.com/token?client_secret=${CANARY}` },
      }),
    ]);
    expect(json).not.toContain(CANARY);
  });

  it('reads back as the same profiles', () => {
    const profiles = [...PROFILE_TEMPLATE_IDS.map((id) => profileFromTemplate(id, APP)), base({ tenantId: 't-1' })];
    const result = imported(exportProfiles(profiles));
    expect(result.profiles).toEqual(profiles);
    expect(result.warnings).toEqual([]);
  });

  it('leaves out a profile that does not validate', () => {
    const data = JSON.parse(exportProfiles([base({ id: 'a' }), base({ id: 'b', kind: 'implicit' as never })]));
    expect(data.profiles.map((p: Profile) => p.id)).toEqual(['a']);
  });
});

describe('importProfiles', () => {
  it.each([
    ['a file over 256 KB', file([base({ notes: 'x'.repeat(300 * 1024) })]), 'TOO_LARGE'],
    ['text that is not JSON', '{"format":', 'NOT_JSON'],
    ['an empty file', '', 'NOT_JSON'],
    ['a JSON array', JSON.stringify([base()]), 'WRONG_FORMAT'],
    ['JSON null', 'null', 'WRONG_FORMAT'],
    ['another format', JSON.stringify({ format: 'postman', version: 1, profiles: [] }), 'WRONG_FORMAT'],
    [
      'profiles that are not a list',
      JSON.stringify({ format: 'fieldpass-profiles', version: 1, profiles: {} }),
      'WRONG_FORMAT',
    ],
    ['version 2', JSON.stringify({ format: 'fieldpass-profiles', version: 2, profiles: [] }), 'UNSUPPORTED_VERSION'],
    [
      'version "1"',
      JSON.stringify({ format: 'fieldpass-profiles', version: '1', profiles: [] }),
      'UNSUPPORTED_VERSION',
    ],
    ['51 profiles', file(Array.from({ length: 51 }, (_, i) => base({ id: `p${i}` }))), 'TOO_MANY'],
  ])('refuses %s with %s', (_, json, code) => {
    expect(importProfiles(json)).toMatchObject({ error: code, message: expect.any(String) });
  });

  it('accepts 50 profiles', () => {
    expect(imported(file(Array.from({ length: 50 }, (_, i) => base({ id: `p${i}` })))).profiles).toHaveLength(50);
  });

  it.each([
    ['client_secret'],
    ['clientSecret'],
    ['secret'],
    ['password'],
    ['access_token'],
    ['refresh_token'],
    ['id_token'],
    ['token'],
    ['privateKey'],
    ['private_key'],
    ['apiKey'],
    ['jwk'],
    ['Client-Secret'],
  ])('drops a "%s" field with the plain warning, and keeps the profile', (key) => {
    const result = imported(file([{ ...base(), [key]: CANARY }]));
    expect(codesOf(result.issues)).toEqual([['SECRET_DROPPED', key]]);
    expect(result.warnings[0]).toContain(SECRETS_NEVER_IMPORTED);
    expect(result.profiles).toHaveLength(1);
    expect(JSON.stringify(result.profiles)).not.toContain(CANARY);
  });

  it.each([
    ['PEM private key material', `-----BEGIN PRIVATE KEY-----\nMIIE${CANARY}\n-----END PRIVATE KEY-----`],
    ['an EC private key', `-----BEGIN EC PRIVATE KEY-----\n${CANARY}`],
    ['a JWT', `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.${CANARY}`],
    ['a Bearer value', `Bearer abcdefghijklmnop${CANARY}`],
    ['a private JWK', { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: CANARY }],
  ])('treats an unknown field holding %s as a secret', (_, value) => {
    const result = imported(file([{ ...base(), extra: value }]));
    expect(codesOf(result.issues)).toEqual([['SECRET_DROPPED', 'extra']]);
    expect(JSON.stringify(result.profiles)).not.toContain(CANARY);
  });

  it('drops notes that hold key material', () => {
    const result = imported(file([base({ notes: `my key:\n-----BEGIN RSA PRIVATE KEY-----\n${CANARY}` })]));
    expect(codesOf(result.issues)).toEqual([['SECRET_DROPPED', 'notes']]);
    expect(result.profiles[0].notes).toBeUndefined();
  });

  it('drops a secret field inside endpoints and at the top of the file', () => {
    const result = imported(
      file([base({ endpoints: { token_endpoint: 'https://as.example.com/t', client_secret: CANARY } as never })], {
        client_secret: CANARY,
        exportedBy: 'me',
      }),
    );
    expect(codesOf(result.issues)).toEqual([
      ['SECRET_DROPPED', 'client_secret'],
      ['UNKNOWN_MEMBER', 'exportedBy'],
      ['SECRET_DROPPED', 'endpoints.client_secret'],
    ]);
    expect(result.profiles[0].endpoints).toEqual({ token_endpoint: 'https://as.example.com/t' });
  });

  it('drops unknown fields with a warning, including __proto__, and pollutes nothing', () => {
    const json = file([base()]).replace('"id":"p1"', '"id":"p1","color":"red","__proto__":{"polluted":1}');
    const result = imported(json);
    expect(codesOf(result.issues)).toEqual([
      ['UNKNOWN_FIELD', 'color'],
      ['UNKNOWN_FIELD', '__proto__'],
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(result.profiles[0])).toBe(Object.prototype);
  });

  it.each<[string, Partial<Profile> & Record<string, unknown>, string]>([
    ['an http issuer off loopback', { issuer: 'http://as.example.com' }, 'issuer'],
    ['a javascript: issuer', { issuer: 'javascript:alert(1)' }, 'issuer'],
    ['a relative issuer', { issuer: '/issuer' }, 'issuer'],
    ['an issuer with a query', { issuer: 'https://as.example.com/?tenant=a' }, 'issuer'],
    ['an issuer with a fragment', { issuer: 'https://as.example.com/#a' }, 'issuer'],
    ['an issuer that is not text', { issuer: 42 as never }, 'issuer'],
    ['an issuer over 2048 characters', { issuer: `https://as.example.com/${'a'.repeat(2048)}` }, 'issuer'],
    ['an issuer with a newline', { issuer: 'https://as.example.com/\nx' }, 'issuer'],
    [
      'an http endpoint off loopback',
      { endpoints: { token_endpoint: 'http://192.168.1.5/token' } },
      'endpoints.token_endpoint',
    ],
    ['endpoints that are a list', { endpoints: ['https://as.example.com'] as never }, 'endpoints'],
    ['a data: redirect URI', { redirectUri: 'data:text/html,hi' }, 'redirectUri'],
    ['a redirect URI with a fragment', { redirectUri: 'https://app.example.com/cb#x' }, 'redirectUri'],
    ['a client id with a control character', { clientId: 'abc\u0007' }, 'clientId'],
    ['a client id over 256 characters', { clientId: 'c'.repeat(257) }, 'clientId'],
    ['a non-ASCII client id', { clientId: 'clïent' }, 'clientId'],
    ['a scope with a double quote', { scopes: ['read:assets', 'a"b'] }, 'scopes[1]'],
    ['scopes that are text', { scopes: 'read:assets' as never }, 'scopes'],
    ['registered URIs that are text', { registeredRedirectUris: 'x' as never }, 'registeredRedirectUris'],
    [
      'a registered URI with a bidi override',
      { registeredRedirectUris: ['https://a/\u202ecb'] },
      'registeredRedirectUris[0]',
    ],
    ['a tenant id with a slash', { tenantId: 'a/b' }, 'tenantId'],
    ['an upper-case provider name', { m2mProvider: 'Fenergo' }, 'm2mProvider'],
    ['notes with a bidi override', { notes: 'see \u202eevil' }, 'notes'],
    ['notes over 4000 characters', { notes: 'n'.repeat(4001) }, 'notes'],
  ])('drops %s and keeps the profile', (_, over, field) => {
    const result = imported(file([base(over)]));
    expect(codesOf(result.issues)).toEqual([['INVALID_FIELD', field]]);
    expect(result.profiles).toHaveLength(1);
  });

  it.each<[string, Partial<Profile>, string]>([
    ['a user name and password in the issuer', { issuer: `https://u:${CANARY}@as.example.com` }, 'issuer'],
    [
      'a client secret in a token endpoint query',
      { endpoints: { token_endpoint: `https://as.example.com/t?client_secret=${CANARY}` } },
      'endpoints.token_endpoint',
    ],
    [
      'an access token in a userinfo query',
      { endpoints: { userinfo_endpoint: `https://as.example.com/me?access_token=${CANARY}` } },
      'endpoints.userinfo_endpoint',
    ],
    [
      'credentials in a registered URI',
      { registeredRedirectUris: [`https://u:${CANARY}@app.example.com/cb`] },
      'registeredRedirectUris[0]',
    ],
  ])('drops %s as a secret', (_, over, field) => {
    const result = imported(file([base(over)]));
    expect(codesOf(result.issues)).toEqual([['SECRET_DROPPED', field]]);
    expect(JSON.stringify(result.profiles)).not.toContain(CANARY);
  });

  it.each([
    ['http://127.0.0.1:9000'],
    ['http://[::1]:9000'],
    ['http://localhost:9000'],
    ['https://as.example.com'],
    ['https://as.example.com/realms/a'],
  ])('accepts the issuer %s', (issuer) => {
    const result = imported(file([base({ issuer })]));
    expect(result.issues).toEqual([]);
    expect(result.profiles[0].issuer).toBe(issuer);
  });

  it('keeps the issuer exactly as typed, only trimmed (RFC 9207 compares it character for character)', () => {
    const result = imported(file([base({ issuer: '  https://AS.example.com/Tenant/  ' })]));
    expect(result.profiles[0].issuer).toBe('https://AS.example.com/Tenant/');
  });

  it('keeps malformed registered redirect URIs, so the linter can explain them', () => {
    const uris = [
      'https://app.example.com/cb/',
      'HTTPS://app.example.com/cb',
      'myapp:/cb',
      '/cb',
      'https://*.example.com/cb',
    ];
    expect(imported(file([base({ registeredRedirectUris: uris })])).profiles[0].registeredRedirectUris).toEqual(uris);
  });

  it('keeps at most 20 registered URIs and 100 scopes', () => {
    const result = imported(
      file([
        base({
          registeredRedirectUris: Array.from({ length: 25 }, (_, i) => `https://app.example.com/cb${i}`),
          scopes: Array.from({ length: 120 }, (_, i) => `s${i}`),
        }),
      ]),
    );
    expect(result.profiles[0].registeredRedirectUris).toHaveLength(20);
    expect(result.profiles[0].scopes).toHaveLength(100);
    expect(codesOf(result.issues)).toEqual([
      ['INVALID_FIELD', 'registeredRedirectUris'],
      ['INVALID_FIELD', 'scopes'],
    ]);
  });

  it('keeps line breaks in notes', () => {
    expect(imported(file([base({ notes: 'line one\nline two' })])).profiles[0].notes).toBe('line one\nline two');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no name', { name: undefined }, 'name'],
    ['a blank name', { name: '   ' }, 'name'],
    ['a name with a control character', { name: 'a\u0000b' }, 'name'],
    ['a name over 100 characters', { name: 'n'.repeat(101) }, 'name'],
    ['the implicit kind', { kind: 'implicit' }, 'kind'],
    ['an unknown template', { template: 'google' }, 'template'],
    ['private_key_jwt', { clientAuth: 'private_key_jwt' }, 'clientAuth'],
    ['no clientAuth', { clientAuth: undefined }, 'clientAuth'],
  ])('leaves out a profile with %s and imports the others', (_, over, field) => {
    const result = imported(file([base({ id: 'good' }), { ...base({ id: 'bad' }), ...over }]));
    expect(result.profiles.map((p) => p.id)).toEqual(['good']);
    expect(codesOf(result.issues)).toEqual([['PROFILE_SKIPPED', field]]);
  });

  it.each([[null], [42], ['profile'], [[base()]]])('leaves out a profile entry that is %j', (entry) => {
    const result = imported(file([entry, base()]));
    expect(result.profiles).toHaveLength(1);
    expect(codesOf(result.issues)).toEqual([['PROFILE_SKIPPED', undefined]]);
  });

  it('gives a new id to a repeated or malformed id, and one to a profile without', () => {
    const { id: _omit, ...noId } = base();
    void _omit;
    const result = imported(file([base({ id: 'same' }), base({ id: 'same' }), base({ id: '../x' }), noId]));
    const ids = result.profiles.map((p) => p.id);
    expect(ids[0]).toBe('same');
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(codesOf(result.issues)).toEqual([
      ['ID_REPLACED', 'id'],
      ['ID_REPLACED', 'id'],
    ]);
  });

  it('warns when two profiles give one issuer different endpoints (#2)', () => {
    const a = base({ id: 'a', endpoints: { token_endpoint: 'https://as.example.com/token' } });
    const b = base({ id: 'b', endpoints: { token_endpoint: 'https://evil.example/token' } });
    const c = base({ id: 'c', endpoints: { token_endpoint: 'https://as.example.com/token' } });
    const result = imported(file([a, b, c]));
    expect(result.profiles).toHaveLength(3);
    expect(codesOf(result.issues)).toEqual([
      ['ISSUER_CONFLICT', 'issuer'],
      ['ISSUER_CONFLICT', 'issuer'],
    ]);
  });

  it('makes warnings of the issues, each once, with no control characters from the file', () => {
    const result = imported(
      file([
        { ...base({ id: 'a', name: 'x\u202e' }), color: 1 },
        { ...base({ id: 'b' }), 'evil\u0000key': 1 },
      ]),
    );
    expect(result.warnings).toEqual([...new Set(result.issues.map((i) => i.message))]);
    // eslint-disable-next-line no-control-regex
    for (const warning of result.warnings) expect(warning).not.toMatch(/[\u0000-\u001f\u202e]/);
  });

  it('reads a hostile file just under the size limit quickly', () => {
    const build = (scopeCount: number) =>
      file(
        Array.from({ length: 50 }, (_, i) => ({
          ...base({ id: `p${i}`, scopes: Array.from({ length: scopeCount }, (_, j) => `scope-${j}`) }),
          ...Object.fromEntries(Array.from({ length: 50 }, (_, j) => [`k${j}`, j])),
        })),
      );
    let scopeCount = 400;
    while (build(scopeCount).length > 256 * 1024) scopeCount -= 10;
    const json = build(scopeCount);
    expect(json.length).toBeGreaterThan(240 * 1024);
    const started = performance.now();
    const result = imported(json);
    expect(performance.now() - started).toBeLessThan(500);
    expect(result.profiles).toHaveLength(50);
    expect(result.profiles[0].scopes).toHaveLength(100);
  });
});

describe('importing beside saved profiles', () => {
  const saved = [base({ id: 'p1', name: 'Tenant' }), base({ id: 'p2', name: 'Other' })];

  it('sets apart the imported profiles whose id is already saved', () => {
    const { fresh, clashes } = findImportClashes([base({ id: 'p1', name: 'Tenant' }), base({ id: 'p3' })], saved);
    expect(fresh.map((p) => p.id)).toEqual(['p3']);
    expect(clashes.map((c) => [c.imported.id, c.saved.name])).toEqual([['p1', 'Tenant']]);
  });

  it('replace keeps the ids, so each overwrites the saved one', () => {
    const { clashes } = findImportClashes([base({ id: 'p1', name: 'Tenant v2' })], saved);
    expect(resolveImportClashes(clashes, 'replace')).toEqual([base({ id: 'p1', name: 'Tenant v2' })]);
  });

  it('keep-both gives each a new id, and a name told apart when it was the same', async () => {
    const { clashes } = findImportClashes([base({ id: 'p1', name: 'Tenant' }), base({ id: 'p2', name: 'New' })], saved);
    const kept = resolveImportClashes(clashes, 'keep-both');
    expect(kept.map((p) => p.name)).toEqual(['Tenant (imported)', 'New']);
    for (const profile of kept) expect(['p1', 'p2']).not.toContain(profile.id);

    const store = createProfileStore(createMemoryStore());
    for (const profile of saved) await store.save(profile);
    for (const profile of kept) await store.save(profile);
    expect((await store.list()).map((p) => p.name)).toEqual(['New', 'Other', 'Tenant', 'Tenant (imported)']);
  });
});

describe('importing a profile that gives a saved issuer other endpoints', () => {
  const saved = [base({ id: 'p1', name: 'Tenant', endpoints: { token_endpoint: 'https://as.example.com/token' } })];

  it.each<[string, Partial<Profile>, boolean]>([
    [
      'a new profile, another token endpoint',
      { id: 'p9', endpoints: { token_endpoint: 'https://evil.example/t' } },
      true,
    ],
    [
      'the same id, another token endpoint',
      { id: 'p1', endpoints: { token_endpoint: 'https://evil.example/t' } },
      true,
    ],
    [
      'a new profile, the same endpoints',
      { id: 'p9', endpoints: { token_endpoint: 'https://as.example.com/token' } },
      false,
    ],
    ['a new profile, another issuer', { id: 'p9', issuer: 'https://other.example', endpoints: {} }, false],
  ])('%s → an issuer conflict with the saved one: %s', (_, over, conflict) => {
    const { issuerConflicts } = findImportClashes([base({ name: 'Imported', ...over })], saved);
    expect(issuerConflicts.map((c) => [c.imported.name, c.saved.name])).toEqual(
      conflict ? [['Imported', 'Tenant']] : [],
    );
  });
});

describe('findIssuerConflict', () => {
  const a = base({ id: 'a', endpoints: { token_endpoint: 'https://as.example.com/token' } });

  it.each<[string, Partial<Profile>, boolean]>([
    ['another token endpoint', { id: 'b', endpoints: { token_endpoint: 'https://evil.example/token' } }, true],
    ['the same endpoints', { id: 'b', endpoints: { token_endpoint: 'https://as.example.com/token' } }, false],
    ['no endpoints (discovery)', { id: 'b', endpoints: undefined }, false],
    [
      'another issuer',
      { id: 'b', issuer: 'https://other.example', endpoints: { token_endpoint: 'https://x/t' } },
      false,
    ],
    ['itself, edited', { id: 'a', endpoints: { token_endpoint: 'https://evil.example/token' } }, false],
  ])('%s → conflict: %s', (_, over, conflict) => {
    expect(findIssuerConflict([a], base(over)) === a).toBe(conflict);
  });
});

describe('createProfileStore', () => {
  it('saves under profile:<id>, lists and removes', async () => {
    const memory = createMemoryStore({ 'session:current': { x: 1 }, 'key:aes': 'k' });
    const store = createProfileStore(memory);
    const b = await store.save(base({ id: 'b', name: 'Beta' }));
    const a = await store.save(base({ id: 'a', name: 'alpha' }));
    expect([...memory.data.keys()].filter((k) => k.startsWith(PROFILE_KEY_PREFIX)).sort()).toEqual([
      'profile:a',
      'profile:b',
    ]);
    expect(await store.list()).toEqual([a, b]);
    await store.remove('b');
    expect(await store.list()).toEqual([a]);
    expect(memory.data.has('session:current')).toBe(true);
  });

  it('never stores a secret a caller smuggles in', async () => {
    const memory = createMemoryStore();
    const saved = await createProfileStore(memory).save(
      base({ client_secret: CANARY, tokens: { access_token: CANARY } } as Partial<Profile>),
    );
    expect(JSON.stringify([...memory.data.values()])).not.toContain(CANARY);
    expect(saved).not.toHaveProperty('client_secret');
  });

  it.each<[string, Partial<Profile>, string | undefined]>([
    ['an http issuer off loopback', { issuer: 'http://as.example.com' }, 'issuer'],
    ['a password in the issuer', { issuer: `https://u:${CANARY}@as.example.com` }, 'issuer'],
    ['a bad endpoint', { endpoints: { revocation_endpoint: 'ftp://as.example.com' } }, 'endpoints.revocation_endpoint'],
    ['no name', { name: '' }, 'name'],
    ['a malformed id', { id: 'a:b' }, 'id'],
  ])('refuses %s with CONFIG_INVALID naming the field, and stores nothing', async (_, over, field) => {
    const memory = createMemoryStore();
    const error = await createProfileStore(memory)
      .save(base(over))
      .catch((e: unknown) => e);
    expect(isFieldpassError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as { details: { variable?: string } }).details.variable).toBe(field);
    expect(memory.data.size).toBe(0);
  });

  it('refuses a 51st profile but still updates one of the 50', async () => {
    const store = createProfileStore(createMemoryStore());
    for (let i = 0; i < 50; i++) await store.save(base({ id: `p${i}` }));
    await expect(store.save(base({ id: 'p50' }))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(store.save(base({ id: 'p7', name: 'Renamed' }))).resolves.toMatchObject({ name: 'Renamed' });
    expect(await store.list()).toHaveLength(50);
  });

  it('does not list records that no longer validate, or that sit under another id', async () => {
    const memory = createMemoryStore({
      'profile:ok': base({ id: 'ok' }),
      'profile:broken': { name: 'no kind' },
      'profile:moved': base({ id: 'elsewhere' }),
      'profile:null': null,
    });
    expect((await createProfileStore(memory).list()).map((p) => p.id)).toEqual(['ok']);
  });

  it('removes nothing for an id that is not one', async () => {
    const memory = createMemoryStore({ 'profile:': 1, 'profile:a': base({ id: 'a' }) });
    const store = createProfileStore(memory);
    await store.remove('');
    await store.remove('../a');
    expect(memory.data.size).toBe(2);
  });
});
