import type { Cookies } from '@sveltejs/kit';
import { describe, expect, it } from 'vitest';
import { changeDevice, DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE, parseDeviceCookie, readDevice } from './device.js';

const ORIGIN = 'https://fieldpass.example';
const NOW = new Date('2026-11-30T09:15:00Z');

/** A cookie jar with SvelteKit's get/set/delete, recording what the response would set. */
function jar(initial?: string) {
  const values = new Map<string, string>(initial === undefined ? [] : [[DEVICE_COOKIE, initial]]);
  const calls: Array<{ op: 'set' | 'delete'; name: string; value?: string; options: Record<string, unknown> }> = [];
  return {
    calls,
    values,
    get: (name: string) => values.get(name),
    set: (name: string, value: string, options: Record<string, unknown>) => {
      calls.push({ op: 'set', name, value, options });
      values.set(name, value);
    },
    delete: (name: string, options: Record<string, unknown>) => {
      calls.push({ op: 'delete', name, options });
      values.delete(name);
    },
  };
}

function event(
  method: string,
  headers: Record<string, string>,
  cookies = jar(),
  origin = ORIGIN,
): { request: Request; url: URL; cookies: Pick<Cookies, 'get' | 'set' | 'delete'> } {
  const url = new URL('/api/device', origin);
  return { request: new Request(url, { method, headers }), url, cookies: cookies as unknown as Cookies };
}

const SAME_ORIGIN = { origin: ORIGIN, 'sec-fetch-site': 'same-origin', 'x-fieldpass-device': '1' };

describe('GET /api/device', () => {
  it('answers false without the cookie, and never lets the answer be cached', async () => {
    const response = readDevice(event('GET', {}));
    expect(await response.json()).toEqual({ signedInBefore: false });
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('answers the days recorded in the cookie', async () => {
    const response = readDevice(event('GET', {}, jar('1.2026-10-01.2026-11-20')));
    expect(await response.json()).toEqual({ signedInBefore: true, since: '2026-10-01', lastSeen: '2026-11-20' });
  });

  it.each(['1', 'yes', '1.2026-10-01', '2.2026-10-01.2026-11-20', '1.2026-10-01.2026-11-20.x', '<script>'])(
    'treats a cookie in any other shape (%s) as none',
    (value) => {
      expect(parseDeviceCookie(value)).toEqual({ signedInBefore: false });
    },
  );
});

describe('POST and DELETE /api/device', () => {
  it('POST sets an HttpOnly, SameSite=Lax, site-wide, 400-day cookie holding only the days', () => {
    const cookies = jar();
    const response = changeDevice(event('POST', SAME_ORIGIN, cookies), 'mark', NOW);
    expect(response.status).toBe(204);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(cookies.calls).toEqual([
      {
        op: 'set',
        name: DEVICE_COOKIE,
        value: '1.2026-11-30.2026-11-30',
        options: { path: '/', httpOnly: true, sameSite: 'lax', secure: true, maxAge: DEVICE_COOKIE_MAX_AGE },
      },
    ]);
    expect(DEVICE_COOKIE_MAX_AGE).toBe(400 * 86_400);
  });

  it('POST keeps the first day and moves the last day on', () => {
    const cookies = jar('1.2026-10-01.2026-11-20');
    changeDevice(event('POST', SAME_ORIGIN, cookies), 'mark', NOW);
    expect(cookies.values.get(DEVICE_COOKIE)).toBe('1.2026-10-01.2026-11-30');
  });

  it('the cookie is not Secure on a plain-http development origin, where the browser would drop it', () => {
    const cookies = jar();
    const origin = 'http://127.0.0.1:5173';
    changeDevice(event('POST', { ...SAME_ORIGIN, origin }, cookies, origin), 'mark', NOW);
    expect(cookies.calls[0].options.secure).toBe(false);
  });

  it('DELETE removes the cookie with the same path', () => {
    const cookies = jar('1.2026-10-01.2026-11-20');
    const response = changeDevice(event('DELETE', SAME_ORIGIN, cookies), 'forget', NOW);
    expect(response.status).toBe(204);
    expect(cookies.calls).toEqual([
      { op: 'delete', name: DEVICE_COOKIE, options: { path: '/', httpOnly: true, sameSite: 'lax', secure: true } },
    ]);
    expect(cookies.values.has(DEVICE_COOKIE)).toBe(false);
  });

  // #84: a cross-site page can neither set nor clear the marker.
  it.each([
    ['no Origin', { 'sec-fetch-site': 'same-origin', 'x-fieldpass-device': '1' }],
    ['another origin', { ...SAME_ORIGIN, origin: 'https://evil.example' }],
    ['a look-alike origin', { ...SAME_ORIGIN, origin: `${ORIGIN}.evil.example` }],
    ['the literal null origin', { ...SAME_ORIGIN, origin: 'null' }],
    ['Sec-Fetch-Site cross-site', { ...SAME_ORIGIN, 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site same-site', { ...SAME_ORIGIN, 'sec-fetch-site': 'same-site' }],
    ['no custom header', { origin: ORIGIN, 'sec-fetch-site': 'same-origin' }],
    ['a wrong custom header', { ...SAME_ORIGIN, 'x-fieldpass-device': 'true' }],
  ])('refuses %s with 403 and leaves the cookie alone', async (_name, headers) => {
    for (const [method, change] of [
      ['POST', 'mark'],
      ['DELETE', 'forget'],
    ] as const) {
      const cookies = jar('1.2026-10-01.2026-11-20');
      const response = changeDevice(event(method, headers, cookies), change, NOW);
      expect(response.status, method).toBe(403);
      expect((await response.json()).error).toBe('forbidden');
      expect(cookies.calls, method).toEqual([]);
    }
  });

  it('accepts a browser that sends no Sec-Fetch-Site, when Origin and the header are right', () => {
    const cookies = jar();
    const response = changeDevice(event('POST', { origin: ORIGIN, 'x-fieldpass-device': '1' }, cookies), 'mark', NOW);
    expect(response.status).toBe(204);
    expect(cookies.calls).toHaveLength(1);
  });
});
