import type { RequestHandler } from './$types';
import { changeDevice, readDevice } from '#lib/server/device.ts';

// A trailing slash is redirected by the handle hook, so the redirect carries the API's headers.
export const trailingSlash = 'ignore';

export const GET: RequestHandler = (event) => readDevice(event);
export const POST: RequestHandler = (event) => changeDevice(event, 'mark');
export const DELETE: RequestHandler = (event) => changeDevice(event, 'forget');
