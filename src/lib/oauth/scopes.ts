// Scope rules shared by the browser, the server and the inspector: the scope-token syntax, the
// Fenergo tenant scope, and Fentu's `admin`, which grants every scope. What each scope means to a
// user is in src/lib/catalogs/fentu-scopes.ts.

/** The Fentu FSM scopes (fentu-fsm-authentication.txt, "Available Scopes"): what the app asks for by default. */
export const FENTU_SCOPES: readonly string[] = [
  'read:work-orders',
  'write:work-orders',
  'read:customers',
  'write:customers',
  'read:assets',
  'write:assets',
  'admin',
];

/** A scope-token (RFC 6749 §3.3): printable ASCII but space, `"` and `\`. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** A Fenergo tenant id: letters, digits and dashes. */
export const TENANT_ID = /^[A-Za-z0-9-]+$/;

/** The Fenergo Transaction Monitoring tenant scope, `tenant/<tenant-id>`. */
export const TENANT_SCOPE = /^tenant\/[A-Za-z0-9-]+$/;

/** True when `scopes` hold `scope`, or Fentu's `admin`, which grants every scope. */
export function grants(scopes: readonly string[], scope: string): boolean {
  return scopes.includes(scope) || scopes.includes('admin');
}

/** Splits a space-delimited scope string (RFC 6749 §3.3) into its distinct values. */
export function splitScopes(value: string | undefined | null): string[] {
  return [...new Set((value ?? '').split(' ').filter(Boolean))];
}
