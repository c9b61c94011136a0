import { describe, expect, it } from 'vitest';
import { displayableText, withoutOAuthParameters } from './address-bar.js';

const APP = 'https://fieldpass.example';

describe('withoutOAuthParameters', () => {
  it.each([
    ['/?code=abc&state=xyz', '/'],
    ['/inspect?error=access_denied&error_description=no&tab=flow', '/inspect?tab=flow'],
    ['/jobs?iss=https%3A%2F%2Fevil.example&session_state=1&view=today#top', '/jobs?view=today#top'],
  ])('%s → %s', (path, cleaned) => {
    const url = withoutOAuthParameters(new URL(path, APP));
    expect(url && `${url.pathname}${url.search}${url.hash}`).toBe(cleaned);
  });

  it.each(['/', '/?view=today', '/callback?code=abc&state=xyz', '/inspect/callback?code=abc&state=xyz'])(
    'leaves %s alone',
    (path) => {
      expect(withoutOAuthParameters(new URL(path, APP))).toBeUndefined();
    },
  );
});

describe('displayableText', () => {
  it.each([
    ['plain words stay', 'invalid_grant: code expired', 'invalid_grant: code expired'],
    ['a right-to-left override', 'Access \u202Edeined\u202C', 'Access \ufffddeined\ufffd'],
    ['isolates and marks', 'a\u2066b\u2069c\u200Fd', 'a\ufffdb\ufffdc\ufffdd'],
    ['controls, newlines included', 'line\r\nnext\u0007\u009b', 'line\ufffd\ufffdnext\ufffd\ufffd'],
  ])('%s', (_name, input, shown) => {
    expect(displayableText(input)).toBe(shown);
  });
});
