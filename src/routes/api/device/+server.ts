import type { RequestHandler } from './$types';
import { changeDevice, readDevice } from '#lib/server/device.ts';

export const GET: RequestHandler = (event) => readDevice(event);
export const POST: RequestHandler = (event) => changeDevice(event, 'mark');
export const DELETE: RequestHandler = (event) => changeDevice(event, 'forget');
