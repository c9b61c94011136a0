/**
 * The Fentu permissions this server's partner route asks of a signed-in user, one per partner
 * service (M2M_<NAME>_USER_SCOPE). The server writes them into the page shell's
 * `<html data-partner-scopes>`, space-separated; none when it has no partner services.
 */
export function partnerScopes(): string[] {
  if (typeof document === 'undefined') return [];
  const value = document.documentElement.dataset.partnerScopes ?? '';
  // The unreplaced mark of a shell the server did not write into.
  if (value.includes('%')) return [];
  return value.split(' ').filter(Boolean);
}
