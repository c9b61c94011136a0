import { describe, expect, it } from 'vitest';
import { displayableText } from './messages.js';

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
