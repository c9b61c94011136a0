import type { ConnectPolicy } from './recording.js';

/** How long a step waits for the connect-src list before it goes ahead without the pre-check. */
export const CONNECT_POLICY_TIMEOUT_MS = 3_000;

/**
 * This page's connect-src as the server sends it (GET /inspect/connect-src), or undefined when it
 * cannot be read within CONNECT_POLICY_TIMEOUT_MS (offline, say, or a server that does not answer):
 * then nothing is refused in advance, the browser's own CSP still blocks what it does not allow,
 * and the browser's violation report names the block.
 */
export async function loadConnectPolicy(appOrigin: string): Promise<ConnectPolicy | undefined> {
  try {
    const response = await fetch(`${appOrigin}/inspect/connect-src`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(CONNECT_POLICY_TIMEOUT_MS),
    });
    if (!response.ok) return undefined;
    const { origins } = (await response.json()) as { origins?: unknown };
    if (!Array.isArray(origins) || !origins.every((o) => typeof o === 'string')) return undefined;
    return { appOrigin, origins };
  } catch {
    return undefined;
  }
}
