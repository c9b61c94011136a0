import { describe, expect, it } from 'vitest';
import { FENERGO_SCOPES } from '../catalogs/fenergo-scopes.js';
import { FENTU_SCOPE_DESCRIPTIONS } from '../catalogs/fentu-scopes.js';
import { FENTU_SCOPES } from '../oauth/scopes.js';
import {
  TENANT_SCOPE_PLACEHOLDER,
  buildScope,
  scopeCatalog,
  tenantScope,
  type ScopeIssueCode,
} from './scope-builder.js';

const codes = (selected: string[], kind?: 'fentu' | 'fenergo' | 'fenris' | 'none'): ScopeIssueCode[] =>
  buildScope(selected, { kind }).issues.map((i) => i.code);

describe('scopeCatalog', () => {
  it('fentu: the FSM scope table, grouped like the consent screen, admin flagged', () => {
    const catalog = scopeCatalog('fentu');
    expect(catalog.map((e) => e.scope)).toEqual(Object.keys(FENTU_SCOPE_DESCRIPTIONS));
    expect(catalog.find((e) => e.scope === 'read:work-orders')).toEqual({
      scope: 'read:work-orders',
      description: 'View work orders',
      group: 'Work orders',
    });
    expect(catalog.find((e) => e.scope === 'admin')?.warning).toMatch(/full administrative access/);
    expect(catalog.filter((e) => e.warning).map((e) => e.scope)).toEqual(['admin']);
  });

  it('fenergo: the tenant pattern first, then every catalog scope with its description', () => {
    const catalog = scopeCatalog('fenergo');
    expect(catalog[0]).toMatchObject({ scope: TENANT_SCOPE_PLACEHOLDER, placeholder: true, group: 'Tenant' });
    expect(catalog.slice(1).map((e) => e.scope)).toEqual(FENERGO_SCOPES.map((s) => s.scope));
    expect(catalog.slice(1).map((e) => e.description)).toEqual(FENERGO_SCOPES.map((s) => s.description));
    expect(catalog.filter((e) => e.warning).map((e) => e.scope)).toEqual([
      'fenx.dataprotection.deleteentitydata',
      'fenx.all',
    ]);
  });

  it.each([
    ['fenx.entitydata.read', 'Entity Data'],
    ['fenx.entitydata.write', 'Entity Data'],
    ['fenx.etl.write', 'ETL'],
    ['fenx.comments', 'Comments GraphQL'],
    ['fenx.webhooks', 'Webhooks management'],
    ['fenx.dataprotection.deleteentitydata', 'Data Protection'],
    ['scimapi.resource.add', 'SCIM'],
    ['fenx.all', 'Everything'],
  ])('fenergo: %s is in group %s', (scope, group) => {
    expect(scopeCatalog('fenergo').find((e) => e.scope === scope)?.group).toBe(group);
  });

  it('fenergo: read and write of one API share a group, even where the catalog swaps their names', () => {
    const groupOf = (scope: string) => scopeCatalog('fenergo').find((e) => e.scope === scope)?.group;
    expect(groupOf('fenx.portal-tenant.read')).toBe(groupOf('fenx.portal-tenant.write'));
  });

  it.each([['fenris' as const], ['none' as const]])('%s: no catalog', (kind) => {
    expect(scopeCatalog(kind)).toEqual([]);
  });
});

describe('tenantScope', () => {
  it.each([
    ['6f1c2d3e-0000-4000-8000-00000000f3n7', 'tenant/6f1c2d3e-0000-4000-8000-00000000f3n7'],
    ['  abc-1  ', 'tenant/abc-1'],
    ['', undefined],
    ['a/b', undefined],
    ['a b', undefined],
    ['<tenant-id>', undefined],
    ['x'.repeat(65), `tenant/${'x'.repeat(65)}`],
  ])('%j → %j', (id, scope) => {
    expect(tenantScope(id)).toBe(scope);
  });
});

describe('buildScope', () => {
  it('joins with single spaces, removes duplicates and keeps the first-seen order', () => {
    const built = buildScope(['read:assets', 'read:customers read:assets', '  read:work-orders\t', 'read:customers']);
    expect(built.value).toBe('read:assets read:customers read:work-orders');
    expect(built.length).toBe(built.value.length);
    expect(built).toMatchObject({ limit: undefined, over: false, issues: [], warnings: [] });
  });

  it('is empty for an empty selection (Fenris sends no scope)', () => {
    expect(buildScope([], { kind: 'fenris' })).toMatchObject({ value: '', length: 0, over: false, issues: [] });
  });

  it('gives each warning as a plain message beside its code', () => {
    const built = buildScope(['admin', 'read:assets', 'write:assets'], { kind: 'fentu' });
    expect(built.warnings).toEqual(built.issues.map((i) => i.message));
    expect(built.warnings[0]).toMatch(/^'admin' grants full administrative access/);
  });

  it.each<[string, string[], 'fentu' | 'fenergo' | 'none', ScopeIssueCode[]]>([
    ['least privilege', ['read:work-orders', 'read:assets'], 'fentu', []],
    ['admin', ['admin'], 'fentu', ['BROAD']],
    ['admin under any kind', ['admin'], 'none', ['BROAD']],
    ['read and write', ['read:assets', 'write:assets'], 'fentu', ['READ_AND_WRITE']],
    ['write alone', ['write:assets'], 'fentu', []],
    ['OIDC identity scopes', ['openid', 'email', 'read:assets'], 'fentu', []],
    ['a scope Fentu does not list', ['read:invoices'], 'fentu', ['UNKNOWN']],
    ['the Fenergo document example', ['fenx.entitydata.read', 'fenx.journey.read'], 'fenergo', []],
    ['fenx.all', ['fenx.all'], 'fenergo', ['BROAD']],
    ['fenx.all with what it includes', ['fenx.all', 'fenx.journey.read'], 'fenergo', ['BROAD', 'REDUNDANT']],
    ['Fenergo read and write', ['fenx.entitydata.read', 'fenx.entitydata.write'], 'fenergo', ['READ_AND_WRITE']],
    ['a tenant scope', ['tenant/6f1c2d3e-0000-4000-8000-00000000f3n7'], 'fenergo', []],
    ['the tenant placeholder', [TENANT_SCOPE_PLACEHOLDER], 'fenergo', ['PLACEHOLDER']],
    ['a Fentu scope sent to Fenergo', ['read:assets'], 'fenergo', ['UNKNOWN']],
    ['a typo', ['fenx.entitydata.raed'], 'fenergo', ['UNKNOWN']],
    ['an unknown scope with no catalog', ['anything.goes'], 'none', []],
    ['the delete scope', ['fenx.dataprotection.deleteentitydata'], 'fenergo', ['BROAD']],
  ])('%s → %j', (_, selected, kind, expected) => {
    expect(codes(selected, kind)).toEqual(expected);
  });

  it.each([
    ['a double quote', 'read:"assets"'],
    ['a backslash', 'read:\\assets'],
    ['a control character', 'read:assets\u0000'],
    ['a non-ASCII letter', 'read:assetš'],
    ['a bidi override', 'read:\u202eassets'],
  ])('leaves out a value with %s and says so', (_, bad) => {
    const built = buildScope(['read:customers', bad]);
    expect(built.value).toBe('read:customers');
    expect(built.issues).toEqual([expect.objectContaining({ code: 'INVALID', scopes: [bad] })]);
    // eslint-disable-next-line no-control-regex
    expect(built.warnings[0]).not.toMatch(/[\u0000-\u001f\u202e]/);
  });

  it('keeps a warning about many scopes to one readable line', () => {
    const many = Array.from({ length: 40 }, (_, i) => `bad"${i}`);
    const built = buildScope(many);
    expect(built.issues[0].scopes).toHaveLength(40);
    expect(built.warnings[0]).toMatch(/and 30 more/);
  });

  describe('the Fenergo 300-character limit', () => {
    const fenx = FENERGO_SCOPES.map((s) => s.scope).filter((s) => s !== 'fenx.all');

    function selectionOfLength(target: number): string[] {
      const chosen: string[] = [];
      for (const scope of fenx) {
        const next = [...chosen, scope].join(' ').length;
        if (next > target) break;
        chosen.push(scope);
      }
      // Pad to exactly `target` with a tenant scope of the right length.
      const rest = target - chosen.join(' ').length - 1 - 'tenant/'.length;
      return [...chosen, `tenant/${'a'.repeat(rest)}`];
    }

    it.each([
      [299, false],
      [300, false],
      [301, true],
      [330, true],
    ])('%s characters → over: %s', (length, over) => {
      const selection = selectionOfLength(length);
      const built = buildScope(selection, { kind: 'fenergo' });
      expect(built.length).toBe(length);
      expect(built.limit).toBe(300);
      expect(built.over).toBe(over);
      expect(built.issues.some((i) => i.code === 'OVER_LIMIT')).toBe(over);
      if (over) expect(built.warnings.at(-1)).toContain(`over by ${length - 300}`);
    });

    it('applies no limit to other kinds unless one is given', () => {
      const long = Array.from({ length: 60 }, (_, i) => `scope.${i}`);
      expect(buildScope(long, { kind: 'none' })).toMatchObject({ limit: undefined, over: false });
      expect(buildScope(long, { kind: 'none', limit: 100 })).toMatchObject({ limit: 100, over: true });
    });
  });
});

describe('FENTU_SCOPES and the Fentu scope table', () => {
  it('are the scopes the Fentu scope table describes, in its order', () => {
    expect(FENTU_SCOPES).toEqual(Object.keys(FENTU_SCOPE_DESCRIPTIONS));
  });
});
