// What each Fentu scope means to a user, in the words of the Fentu scope table, and how the
// consent screen groups and preselects them. Words only: the scope rules are in
// src/lib/oauth/scopes.ts.

/** How much a scope lets the app do; the consent screen preselects `read` and `identity` only. */
export type ScopeAccess = 'identity' | 'read' | 'write' | 'admin' | 'unknown';

export interface ScopeInfo {
  /** The scope exactly as sent on the wire (RFC 6749 §3.3). */
  scope: string;
  /** What it allows, in the words of the Fentu scope table. */
  description: string;
  /** The resource it belongs to, for grouping on the consent screen. */
  group: string;
  access: ScopeAccess;
}

/** The Fentu FSM scope table (fentu-fsm-authentication.txt, "Available Scopes"). */
export const FENTU_SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'read:work-orders': 'View work orders',
  'write:work-orders': 'Create/update work orders',
  'read:customers': 'View customers',
  'write:customers': 'Create/update customers',
  'read:assets': 'View assets',
  'write:assets': 'Create/update assets',
  admin: 'Full administrative access',
};

/** OpenID Connect scopes, requested only when the server lists them in `scopes_supported`. */
export const IDENTITY_SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Confirm who you are',
  profile: 'See your name',
  email: 'See your email address',
};

function titleCase(resource: string): string {
  const words = resource.replace(/[-_]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Describes one scope id: its group, access level and description (unknown ids stay visible). */
export function describeScope(scope: string): ScopeInfo {
  if (Object.hasOwn(IDENTITY_SCOPE_DESCRIPTIONS, scope)) {
    return { scope, description: IDENTITY_SCOPE_DESCRIPTIONS[scope], group: 'Your identity', access: 'identity' };
  }
  if (scope === 'admin') {
    return { scope, description: FENTU_SCOPE_DESCRIPTIONS.admin, group: 'Administration', access: 'admin' };
  }
  const match = /^(read|write):(.+)$/.exec(scope);
  if (match) {
    const [, verb, resource] = match;
    return {
      scope,
      description:
        FENTU_SCOPE_DESCRIPTIONS[scope] ??
        `${verb === 'read' ? 'View' : 'Create/update'} ${resource.replace(/-/g, ' ')}`,
      group: titleCase(resource),
      access: verb as 'read' | 'write',
    };
  }
  return { scope, description: `Unknown scope: ${scope}`, group: 'Other', access: 'unknown' };
}

/** The scopes preselected on the consent screen: least privilege, so reads and identity only. */
export function defaultSelection(catalog: readonly ScopeInfo[]): string[] {
  return catalog.filter((s) => s.access === 'read' || s.access === 'identity').map((s) => s.scope);
}

/**
 * The scopes the consent screen offers: the configured catalog, preceded by the OpenID Connect
 * identity scopes the server lists in `scopes_supported` (RFC 8414 §2), if it is an OpenID provider.
 */
export function offeredScopes(
  catalog: readonly ScopeInfo[],
  scopesSupported: readonly string[] | undefined,
): ScopeInfo[] {
  const supported = scopesSupported ?? [];
  const identity = supported.includes('openid')
    ? Object.keys(IDENTITY_SCOPE_DESCRIPTIONS)
        .filter((scope) => supported.includes(scope))
        .map(describeScope)
    : [];
  return [...identity, ...catalog];
}
