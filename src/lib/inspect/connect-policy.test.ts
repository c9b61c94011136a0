import { afterEach, describe, expect, it, vi } from 'vitest';
import { CONNECT_POLICY_TIMEOUT_MS, loadConnectPolicy } from './connect-policy.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('loadConnectPolicy', () => {
  it('reads the origins the server sends', async () => {
    vi.stubGlobal('fetch', async () => Response.json({ origins: ['https://as.example'] }));

    expect(await loadConnectPolicy('https://app.example')).toEqual({
      appOrigin: 'https://app.example',
      origins: ['https://as.example'],
    });
  });

  it(
    'gives up on a list that does not come, so no step waits for it forever',
    async () => {
      let signal: AbortSignal | undefined;
      // A server that never answers: only the request's own signal ends the wait.
      vi.stubGlobal('fetch', (_url: string, init: RequestInit) => {
        signal = init.signal ?? undefined;
        return new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal?.reason)));
      });

      const policy = loadConnectPolicy('https://app.example');

      expect(signal).toBeInstanceOf(AbortSignal);
      expect(await policy).toBeUndefined();
      expect(signal?.aborted).toBe(true);
    },
    CONNECT_POLICY_TIMEOUT_MS + 5_000,
  );
});
