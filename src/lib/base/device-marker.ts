// Shared by the browser (src/lib/app/device.ts) and the server (src/lib/server/device.ts).

/** What GET /api/device answers. Dates are `YYYY-MM-DD`. */
export interface DeviceMarker {
  signedInBefore: boolean;
  /** The first day this browser was seen with a stored sign-in. */
  since?: string;
  /** The last day this browser was seen with a stored sign-in. */
  lastSeen?: string;
}

/** A header a cross-site page cannot send without a CORS preflight, which the endpoint never allows. */
export const DEVICE_HEADER = 'x-fieldpass-device';
