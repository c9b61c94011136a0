import { describe, expect, it } from 'vitest';
import { SCOPE_TOKEN, TENANT_ID, TENANT_SCOPE, grants, splitScopes } from './scopes.js';

describe('splitScopes', () => {
  it.each([
    ['read:a  read:b read:a', ['read:a', 'read:b']],
    ['', []],
    [null, []],
    [undefined, []],
  ])('%j → %j', (value, expected) => {
    expect(splitScopes(value)).toEqual(expected);
  });
});

describe('SCOPE_TOKEN (RFC 6749 §3.3)', () => {
  it.each([
    ['read:work-orders', true],
    ['tenant/6f1c2d3e', true],
    ['!#[]~', true],
    ['', false],
    ['a b', false],
    ['a"b', false],
    ['a\\b', false],
    ['é', false],
    ['a\u0000', false],
  ])('%j → %s', (value, expected) => {
    expect(SCOPE_TOKEN.test(value)).toBe(expected);
  });
});

describe('TENANT_ID and TENANT_SCOPE', () => {
  it.each([
    ['6f1c2d3e-0000-4000-8000-00000000f3n7', true],
    ['x'.repeat(65), true],
    ['', false],
    ['a/b', false],
    ['a_b', false],
    ['<tenant-id>', false],
  ])('%j → %s', (id, expected) => {
    expect(TENANT_ID.test(id)).toBe(expected);
    expect(TENANT_SCOPE.test(`tenant/${id}`)).toBe(expected);
  });

  it('wants the tenant/ prefix', () => {
    expect(TENANT_SCOPE.test('6f1c2d3e')).toBe(false);
    expect(TENANT_SCOPE.test('tenants/6f1c2d3e')).toBe(false);
  });
});

describe('grants', () => {
  it.each([
    [['read:assets'], 'read:assets', true],
    [['read:assets'], 'write:assets', false],
    [['admin'], 'write:assets', true],
    [[], 'read:assets', false],
    [['administrator'], 'read:assets', false],
  ])('%j grants %s: %s', (scopes, scope, expected) => {
    expect(grants(scopes, scope)).toBe(expected);
  });
});
