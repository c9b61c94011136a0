import { describe, expect, it } from 'vitest';
import { safeReturnTo } from './return-to.js';

const ORIGIN = 'http://127.0.0.1:4173';

describe('safeReturnTo', () => {
  it.each([
    ['/dashboard?tab=1', '/dashboard?tab=1'],
    ['/', '/'],
    ['/work-orders#open', '/work-orders#open'],
  ])('keeps the same-origin path %j', (value, expected) => {
    expect(safeReturnTo(value, ORIGIN)).toBe(expected);
  });

  // #31: every one of these could leave the origin, or is no value at all, and falls back to "/".
  const hostile: [string, string | null | undefined][] = [
    ['absolute URL to another origin', 'https://evil.example'],
    ['protocol-relative URL', '//evil.example'],
    ['backslash read as a slash', '/\\evil.example'],
    ['encoded slashes, upper case', '/%2F%2Fevil.example'],
    ['encoded slashes, lower case', '/%2f%2fevil.example'],
    ['encoded backslashes', '/%5C%5Cevil.example'],
    ['javascript: scheme', 'javascript:alert(1)'],
    ['scheme without slashes', 'https:evil.example'],
    ['tab that browsers strip', '\t//evil.example'],
    ['tab inside the slashes', '/\t/evil.example'],
    ['newline inside the slashes', '/\n/evil.example'],
    ['dot segment that collapses to //', '/..//evil.example'],
    ['encoded dot segment that collapses to //', '/%2e%2e//evil.example'],
    ['the callback itself', '/callback?code=x'],
    ['a path longer than 2048 characters', `/${'a'.repeat(2048)}`],
    ['malformed percent-encoding', '/%E0%A4%A'],
    ['null', null],
    ['undefined', undefined],
    ['empty string', ''],
  ];

  it.each(hostile)('#31 %s falls back to "/"', (_name, value) => {
    expect(safeReturnTo(value, ORIGIN)).toBe('/');
  });

  it.each(hostile)('#31 %s stays on the origin when navigated to', (_name, value) => {
    const result = safeReturnTo(value, ORIGIN);
    expect(result.startsWith('/')).toBe(true);
    expect(new URL(result, ORIGIN).origin).toBe(ORIGIN);
  });

  // SvelteKit matches routes on the decoded path and accepts a trailing slash, so these reach the
  // callback page just as "/callback" does.
  it.each([
    ['trailing slash', '/callback/?code=x&state=y'],
    ['percent-encoded letter', '/%63allback?code=x&state=y'],
    ['upper case', '/CALLBACK?code=x&state=y'],
    ['two trailing slashes', '/callback//?code=x&state=y'],
    ['a fragment only', '/callback#x'],
  ])('the callback spelt with a %s is never a destination', (_name, value) => {
    expect(safeReturnTo(value, ORIGIN)).toBe('/');
  });
});
