// The signed-in user, as the app tells users apart and names them. Framework-free.

/** What says who is signed in: the issuer, and the user's `sub` when an ID token gave one. */
export interface SignedIn {
  server: { issuer: string };
  user?: { sub: string };
}

/**
 * Who is signed in, as one string: the issuer and `sub`, which together are the only stable
 * identifier of a user (OpenID Connect Core §5.7). Without a `sub` it names the issuer only.
 */
export function userIdentity({ server, user }: SignedIn): string {
  return `${server.issuer}\n${user?.sub ?? ''}`;
}

/** The name to show for a user: their name, else their email address, else their `sub`. */
export function displayName(user: { sub: string; name?: string; email?: string }): string {
  return user.name ?? user.email ?? user.sub;
}
