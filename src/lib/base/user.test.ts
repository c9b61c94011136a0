import { describe, expect, it } from 'vitest';
import { displayName, userIdentity } from './user.js';

describe('userIdentity', () => {
  const server = { issuer: 'https://as.example.com' };

  it('is the issuer and sub together', () => {
    expect(userIdentity({ server, user: { sub: 'tech-0042' } })).toBe('https://as.example.com\ntech-0042');
  });

  it('tells the same sub at two issuers apart', () => {
    const other = userIdentity({ server: { issuer: 'https://other.example.com' }, user: { sub: 'tech-0042' } });
    expect(other).not.toBe(userIdentity({ server, user: { sub: 'tech-0042' } }));
  });

  it('names the issuer only without a sub', () => {
    expect(userIdentity({ server })).toBe('https://as.example.com\n');
  });
});

describe('displayName', () => {
  it.each([
    [{ sub: 's', name: 'Sam Okafor', email: 'sam@example.com' }, 'Sam Okafor'],
    [{ sub: 's', email: 'sam@example.com' }, 'sam@example.com'],
    [{ sub: 's' }, 's'],
    [{ sub: 's', name: '' }, ''],
  ])('%j → %j', (user, expected) => {
    expect(displayName(user)).toBe(expected);
  });
});
