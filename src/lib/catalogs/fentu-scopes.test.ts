import { describe, expect, it } from 'vitest';
import { defaultSelection, describeScope } from './fentu-scopes.js';

describe('describeScope', () => {
  it.each([
    ['read:work-orders', 'Work orders', 'read'],
    ['write:work-orders', 'Work orders', 'write'],
    ['read:customers', 'Customers', 'read'],
    ['write:customers', 'Customers', 'write'],
    ['read:assets', 'Assets', 'read'],
    ['write:assets', 'Assets', 'write'],
    ['admin', 'Administration', 'admin'],
    ['openid', 'Your identity', 'identity'],
    ['profile', 'Your identity', 'identity'],
    ['email', 'Your identity', 'identity'],
    ['read:invoices', 'Invoices', 'read'],
    ['tenant.audit', 'Other', 'unknown'],
    ['readwork-orders', 'Other', 'unknown'],
  ])('%s → group %s, access %s', (scope, group, access) => {
    const info = describeScope(scope);
    expect(info.scope).toBe(scope);
    expect(info.group).toBe(group);
    expect(info.access).toBe(access);
  });

  it('keeps an unknown id visible in its description', () => {
    expect(describeScope('tenant.audit').description).toContain('tenant.audit');
  });

  it('does not treat inherited object keys as identity scopes', () => {
    expect(describeScope('toString').access).toBe('unknown');
    expect(describeScope('constructor').access).toBe('unknown');
  });
});

describe('defaultSelection (#14)', () => {
  it('preselects read and identity scopes only, never write or admin', () => {
    const catalog = [
      'openid',
      'read:work-orders',
      'write:work-orders',
      'read:customers',
      'write:customers',
      'read:assets',
      'write:assets',
      'admin',
      'tenant.audit',
      'email',
    ].map(describeScope);
    expect(defaultSelection(catalog)).toEqual(['openid', 'read:work-orders', 'read:customers', 'read:assets', 'email']);
  });

  it('is empty for a catalog of write and admin scopes', () => {
    expect(defaultSelection(['write:assets', 'admin'].map(describeScope))).toEqual([]);
  });
});
