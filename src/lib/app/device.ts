/**
 * Whether this browser had a Fieldpass sign-in before, as an HttpOnly cookie set by the server
 * (/api/device). Safari deletes a site's script-writable storage — IndexedDB, Cache Storage,
 * service workers — after 7 days without use, which silently deletes the stored sign-in; cookies
 * set by the server survive that, so the app can say what happened instead of looking new.
 *
 * The cookie holds no token and nothing about the user: only that a sign-in was stored here, and
 * on which days (first and last seen). The app sets it while a session is stored and clears it
 * whenever it removes the session itself (sign-out, or a session the server ended), so "cookie
 * but nothing stored" means the browser deleted the storage.
 */

import { DEVICE_HEADER, type DeviceMarker } from '../base/device-marker.js';

const DEVICE_ENDPOINT = '/api/device';

type Fetch = typeof fetch;

async function send(method: 'POST' | 'DELETE', fetcher: Fetch): Promise<boolean> {
  try {
    const response = await fetcher(DEVICE_ENDPOINT, {
      method,
      headers: { [DEVICE_HEADER]: '1' },
      credentials: 'same-origin',
      signal: AbortSignal.timeout(5_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/** Notes that this browser holds a sign-in. Best effort: a failure is tried again on the next load. */
export function recordSignIn(fetcher: Fetch = fetch): Promise<boolean> {
  return send('POST', fetcher);
}

/**
 * Forgets the note, after the app removed the sign-in itself. If the device is offline, tries
 * again once it is back online, so a sign-out made offline is not later taken for an eviction.
 */
export async function forgetSignIn(
  fetcher: Fetch = fetch,
  events: Pick<Window, 'addEventListener'> = window,
): Promise<boolean> {
  const done = await send('DELETE', fetcher);
  if (!done) events.addEventListener('online', () => void send('DELETE', fetcher), { once: true });
  return done;
}

/** Reads the note; undefined when the server cannot be asked (offline) or answers unexpectedly. */
export async function readDeviceMarker(fetcher: Fetch = fetch): Promise<DeviceMarker | undefined> {
  try {
    const response = await fetcher(DEVICE_ENDPOINT, { credentials: 'same-origin', signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return undefined;
    const body: unknown = await response.json();
    if (typeof body !== 'object' || body === null || typeof (body as DeviceMarker).signedInBefore !== 'boolean') {
      return undefined;
    }
    const { signedInBefore, since, lastSeen } = body as DeviceMarker;
    return {
      signedInBefore,
      since: typeof since === 'string' ? since : undefined,
      lastSeen: typeof lastSeen === 'string' ? lastSeen : undefined,
    };
  } catch {
    return undefined;
  }
}

/**
 * Whether to say that a stored sign-in was deleted by the browser: nothing is stored now, the
 * session did not end with a message of its own, the page is not showing a sign-out notice, and
 * the server's cookie says a sign-in was stored here.
 */
export function showsEvictionNotice(input: {
  status: 'loading' | 'signed-out' | 'signed-in';
  problem: unknown;
  notice: string | null | undefined;
  marker: DeviceMarker | undefined;
}): boolean {
  return input.status === 'signed-out' && !input.problem && !input.notice && input.marker?.signedInBefore === true;
}
