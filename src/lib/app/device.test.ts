import { describe, expect, it } from 'vitest';
import { forgetSignIn, readDeviceMarker, recordSignIn, showsEvictionNotice } from './device.js';

function fakeFetch(answer: () => Response | Promise<Response>) {
  const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
  const fetcher = (async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return answer();
  }) as typeof fetch;
  return { calls, fetcher };
}

function fakeWindow() {
  const listeners: Array<{ type: string; listener: () => void }> = [];
  return {
    listeners,
    addEventListener: ((type: string, listener: () => void) =>
      listeners.push({ type, listener })) as unknown as Window['addEventListener'],
  };
}

describe('recordSignIn / forgetSignIn', () => {
  it('POST and DELETE /api/device with the custom header, same-origin credentials only', async () => {
    const { calls, fetcher } = fakeFetch(() => new Response(null, { status: 204 }));
    expect(await recordSignIn(fetcher)).toBe(true);
    expect(await forgetSignIn(fetcher, fakeWindow())).toBe(true);
    expect(calls.map((c) => [c.url, c.init?.method, c.init?.credentials, c.init?.headers])).toEqual([
      ['/api/device', 'POST', 'same-origin', { 'x-fieldpass-device': '1' }],
      ['/api/device', 'DELETE', 'same-origin', { 'x-fieldpass-device': '1' }],
    ]);
  });

  it('a DELETE made offline is sent again once the device is back online', async () => {
    let online = false;
    const { calls, fetcher } = fakeFetch(() => {
      if (!online) throw new TypeError('Failed to fetch');
      return new Response(null, { status: 204 });
    });
    const events = fakeWindow();
    expect(await forgetSignIn(fetcher, events)).toBe(false);
    expect(events.listeners.map((l) => l.type)).toEqual(['online']);
    online = true;
    events.listeners[0].listener();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls.map((c) => c.init?.method)).toEqual(['DELETE', 'DELETE']);
  });
});

describe('readDeviceMarker', () => {
  it('reads the answer', async () => {
    const { fetcher } = fakeFetch(() =>
      Response.json({ signedInBefore: true, since: '2026-10-01', lastSeen: '2026-11-20' }),
    );
    expect(await readDeviceMarker(fetcher)).toEqual({
      signedInBefore: true,
      since: '2026-10-01',
      lastSeen: '2026-11-20',
    });
  });

  it.each([
    ['offline', () => Promise.reject(new TypeError('Failed to fetch'))],
    ['a server error', () => new Response('oops', { status: 500 })],
    ['a body of another shape', () => Response.json({ signedInBefore: 'yes' })],
    ['a body that is not JSON', () => new Response('<html>', { status: 200 })],
  ])('is undefined on %s', async (_name, answer) => {
    const { fetcher } = fakeFetch(answer as () => Promise<Response>);
    expect(await readDeviceMarker(fetcher)).toBeUndefined();
  });
});

describe('showsEvictionNotice', () => {
  const marker = { signedInBefore: true, since: '2026-10-01', lastSeen: '2026-11-20' };
  const base = { status: 'signed-out' as const, problem: undefined, notice: null, marker };

  it('shows when nothing is stored but the cookie says a sign-in was', () => {
    expect(showsEvictionNotice(base)).toBe(true);
  });

  it.each([
    ['while the session is still loading', { status: 'loading' as const }],
    ['while signed in', { status: 'signed-in' as const }],
    ['after a session that ended with its own message', { problem: new Error('ended') }],
    ['on the page after an explicit sign-out', { notice: 'signed-out' }],
    ['when this browser never had a sign-in', { marker: { signedInBefore: false } }],
    ['when the server could not be asked', { marker: undefined }],
  ])('does not show %s', (_name, change) => {
    expect(showsEvictionNotice({ ...base, ...change })).toBe(false);
  });
});
