import { describe, expect, it } from 'vitest';
import { withoutOAuthParameters } from './address-bar.js';

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
