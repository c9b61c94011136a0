import { json, type Cookies } from '@sveltejs/kit';
import { DEVICE_HEADER, type DeviceMarker } from '../base/device-marker.js';
import { errorResponse, ServerError } from './errors.js';

/** The cookie's name; its value is `1.<first day>.<last day>` (`YYYY-MM-DD`), nothing else. */
export const DEVICE_COOKIE = 'fp_signed_in';
/** 400 days, the longest lifetime Chromium accepts for a cookie. */
export const DEVICE_COOKIE_MAX_AGE = 400 * 24 * 60 * 60;

const VALUE = /^1\.(\d{4}-\d{2}-\d{2})\.(\d{4}-\d{2}-\d{2})$/;

/** What the cookie says; a value in any other shape counts as no cookie. */
export function parseDeviceCookie(value: string | undefined): DeviceMarker {
  const match = value === undefined ? null : VALUE.exec(value);
  return match ? { signedInBefore: true, since: match[1], lastSeen: match[2] } : { signedInBefore: false };
}

/** The cookie's next value: the first day is kept, the last day is today. */
function nextDeviceCookie(previous: DeviceMarker, now: Date): string {
  const today = now.toISOString().slice(0, 10);
  return `1.${previous.since ?? today}.${today}`;
}

/**
 * Why a request that changes the cookie is refused, or undefined when it is allowed: it must come
 * from a page of this origin (Origin, and Sec-Fetch-Site where the browser sends it) with the
 * app's custom header, which a cross-site page cannot add without a CORS preflight (#84).
 */
function refuseCrossSite(request: Request, origin: string): string | undefined {
  if (request.headers.get('origin') !== origin) return 'origin';
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin') return 'sec-fetch-site';
  if (request.headers.get(DEVICE_HEADER) !== '1') return 'header';
  return undefined;
}

const NO_STORE = { 'cache-control': 'no-store' };

interface DeviceEvent {
  request: Request;
  url: URL;
  cookies: Pick<Cookies, 'get' | 'set' | 'delete'>;
}

/** GET /api/device: whether this browser had a sign-in stored, and when. */
export function readDevice({ cookies }: DeviceEvent): Response {
  return json(parseDeviceCookie(cookies.get(DEVICE_COOKIE)), { headers: NO_STORE });
}

/**
 * POST /api/device (`mark`) sets the cookie: HttpOnly, SameSite=Lax, for the whole site, 400 days.
 * DELETE (`forget`) removes it.
 */
export function changeDevice(event: DeviceEvent, change: 'mark' | 'forget', now = new Date()): Response {
  if (refuseCrossSite(event.request, event.url.origin)) {
    return errorResponse(
      new ServerError({ status: 403, code: 'forbidden', description: 'Only Fieldpass itself can change this.' }),
    );
  }
  const options = { path: '/', httpOnly: true, sameSite: 'lax', secure: event.url.protocol === 'https:' } as const;
  if (change === 'mark') {
    const value = nextDeviceCookie(parseDeviceCookie(event.cookies.get(DEVICE_COOKIE)), now);
    event.cookies.set(DEVICE_COOKIE, value, { ...options, maxAge: DEVICE_COOKIE_MAX_AGE });
  } else {
    event.cookies.delete(DEVICE_COOKIE, options);
  }
  return new Response(null, { status: 204, headers: NO_STORE });
}
