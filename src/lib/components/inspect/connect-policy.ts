import type { ConnectPolicy } from '../../inspect/flow.js';

/**
 * This page's connect-src as the server sends it (GET /inspect/connect-src), or undefined when it
 * cannot be read (offline, say): then nothing is refused in advance, and a blocked request is
 * reported by the browser's own violation event instead.
 */
export async function loadConnectPolicy(appOrigin: string): Promise<ConnectPolicy | undefined> {
  try {
    const response = await fetch(`${appOrigin}/inspect/connect-src`, { headers: { accept: 'application/json' } });
    if (!response.ok) return undefined;
    const { origins } = (await response.json()) as { origins?: unknown };
    if (!Array.isArray(origins) || !origins.every((o) => typeof o === 'string')) return undefined;
    return { appOrigin, origins };
  } catch {
    return undefined;
  }
}
