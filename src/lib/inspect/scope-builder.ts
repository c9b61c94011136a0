// The inspector's scope builder: the scopes each provider documents, and a scope string built from
// a selection with the warnings a developer should see before sending it. Framework-free.

import { FENERGO_SCOPE_LIMIT, FENERGO_SCOPES } from '../catalogs/fenergo-scopes.js';
import { SCOPE_TOKEN, TENANT_ID, TENANT_SCOPE } from '../oauth/scopes.js';
import { FENTU_SCOPE_DESCRIPTIONS, IDENTITY_SCOPE_DESCRIPTIONS, describeScope } from '../catalogs/fentu-scopes.js';

/** Which provider's scope rules apply. */
export type ScopeKind = 'fentu' | 'fenergo' | 'fenris' | 'none';

/** One scope the builder offers. */
export interface ScopeEntry {
  /** The scope as sent on the wire (RFC 6749 §3.3); for `placeholder` entries, a pattern to fill in. */
  scope: string;
  description: string;
  group: string;
  /** Shown beside the scope: why to think twice before asking for it. */
  warning?: string;
  /** True for `tenant/<tenant-id>`: not a scope until `<tenant-id>` is replaced (see `tenantScope`). */
  placeholder?: boolean;
}

/** The Fenergo Transaction Monitoring tenant scope pattern (fenergo-transaction-monitoring-authentication.txt). */
export const TENANT_SCOPE_PLACEHOLDER = 'tenant/<tenant-id>';

/** Scopes that grant far more than one task needs, with the reason (Fentu and Fenergo documents). */
const BROAD_SCOPES: Readonly<Record<string, string>> = {
  admin:
    'grants full administrative access to the whole Fentu account; ask for it only to manage its users and settings, never for jobs, customers or assets',
  'fenx.all': 'grants every Fenergo API; ask only for the APIs the integration calls',
  'fenx.dataprotection.deleteentitydata': 'lets the client delete entity data',
};

/**
 * The Fenergo tenant scope for a tenant id: `tenant/<tenant-id>`, or undefined when the id is not
 * letters, digits and dashes (`TENANT_ID`, the rule the server configuration applies too).
 */
export function tenantScope(tenantId: string): string | undefined {
  const id = tenantId.trim();
  return TENANT_ID.test(id) ? `tenant/${id}` : undefined;
}

function fenergoGroup(scope: string, name: string): string {
  if (scope.startsWith('scimapi.')) return 'SCIM';
  if (scope === 'fenx.all') return 'Everything';
  return (
    name
      .replace(/^Fen-X /, '')
      .replace(/ (Read and Write|Read|Write|Delete Entity)$/, '')
      .replace(/ APIs?$/, '') || name
  );
}

/**
 * The scopes a provider documents, for the builder. Fentu: the FSM scope table (through
 * `describeScope`, so groups match the consent screen). Fenergo: the full API scope catalog, plus
 * the `tenant/<tenant-id>` pattern Transaction Monitoring needs. Fenris and `none`: empty — the
 * Fenris token request in its document sends no scope (client_id and grant_type only).
 */
export function scopeCatalog(kind: ScopeKind): ScopeEntry[] {
  const withWarning = (entry: ScopeEntry): ScopeEntry =>
    Object.hasOwn(BROAD_SCOPES, entry.scope) ? { ...entry, warning: BROAD_SCOPES[entry.scope] } : entry;
  switch (kind) {
    case 'fentu':
      return Object.keys(FENTU_SCOPE_DESCRIPTIONS).map((scope) => {
        const { description, group } = describeScope(scope);
        return withWarning({ scope, description, group });
      });
    case 'fenergo':
      return [
        {
          scope: TENANT_SCOPE_PLACEHOLDER,
          description:
            'Transaction Monitoring only: your tenant scope, provided by the Fenergo Customer Success team. Replace <tenant-id> with your tenant id.',
          group: 'Tenant',
          placeholder: true,
        },
        ...FENERGO_SCOPES.map((s) =>
          withWarning({ scope: s.scope, description: s.description, group: fenergoGroup(s.scope, s.name) }),
        ),
      ];
    case 'fenris':
    case 'none':
      return [];
  }
}

/** Why the builder flags a scope string. */
export type ScopeIssueCode =
  /** A value has characters a scope cannot contain (RFC 6749 §3.3); it was left out. */
  | 'INVALID'
  /** A scope in BROAD_SCOPES: `admin`, `fenx.all`, the Fenergo delete scope. */
  | 'BROAD'
  /** `fenx.all` together with other Fenergo scopes it already includes. */
  | 'REDUNDANT'
  /** Read and write scopes together. */
  | 'READ_AND_WRITE'
  /** Longer than the provider accepts (Fenergo: 300 characters). */
  | 'OVER_LIMIT'
  /** Not in the provider's catalog. */
  | 'UNKNOWN'
  /** `tenant/<tenant-id>` still has its placeholder. */
  | 'PLACEHOLDER';

export interface ScopeIssue {
  code: ScopeIssueCode;
  /** The scopes concerned, if any. */
  scopes: string[];
  message: string;
}

export interface BuiltScope {
  /** The `scope` parameter: space-joined, duplicates removed, first-seen order kept (RFC 6749 §3.3). */
  value: string;
  /** `value.length` in characters, as Fenergo counts its limit. */
  length: number;
  /** The provider's limit, when it has one. */
  limit?: number;
  over: boolean;
  /** The issues' messages, in plain words, for display. */
  warnings: string[];
  /** The same warnings with stable codes, for tests and for styling. */
  issues: ScopeIssue[];
}

export interface BuildScopeOptions {
  /** Whose catalog and limit to check against; `none` by default. */
  kind?: ScopeKind;
  /** A limit in characters, instead of the provider's own. */
  limit?: number;
}

/** `read`/`write` from Fentu (`read:x`) or Fenergo (`fenx.x.read`) scope names, else undefined. */
function accessOf(scope: string): 'read' | 'write' | undefined {
  const match = /^(read|write):./.exec(scope) ?? /\.(read|write)$/.exec(scope);
  return match?.[1] as 'read' | 'write' | undefined;
}

const quote = (s: string) => `'${s}'`;
/** A readable list, cut after ten names so a pasted wall of scopes stays one line. */
const list = (scopes: string[]) =>
  scopes.length > 10
    ? `${scopes.slice(0, 10).map(quote).join(', ')} and ${scopes.length - 10} more`
    : scopes.map(quote).join(', ');

/**
 * Builds the `scope` parameter (RFC 6749 §3.3) from a selection, and says what to reconsider:
 * broad scopes, read and write mixed, scopes the provider does not list, a tenant placeholder left
 * in, and Fenergo's 300-character limit. Each selected item may itself hold several scopes
 * separated by whitespace (a pasted string). Values that are not scope-tokens are left out.
 */
export function buildScope(selected: readonly string[], options: BuildScopeOptions = {}): BuiltScope {
  const kind = options.kind ?? 'none';
  const issues: ScopeIssue[] = [];
  const scopes: string[] = [];
  const invalid: string[] = [];
  for (const item of selected) {
    for (const scope of String(item).split(/\s+/).filter(Boolean)) {
      if (!SCOPE_TOKEN.test(scope)) {
        if (!invalid.includes(scope)) invalid.push(scope);
      } else if (!scopes.includes(scope)) {
        scopes.push(scope);
      }
    }
  }
  const value = scopes.join(' ');
  const limit = options.limit ?? (kind === 'fenergo' ? FENERGO_SCOPE_LIMIT : undefined);
  const over = limit !== undefined && value.length > limit;

  if (invalid.length) {
    issues.push({
      code: 'INVALID',
      scopes: invalid,
      message: `${list(invalid.map(printable))} ${invalid.length === 1 ? 'is not a valid scope' : 'are not valid scopes'} (RFC 6749 §3.3) and ${invalid.length === 1 ? 'was' : 'were'} left out.`,
    });
  }
  for (const scope of scopes) {
    if (Object.hasOwn(BROAD_SCOPES, scope)) {
      issues.push({ code: 'BROAD', scopes: [scope], message: `${quote(scope)} ${BROAD_SCOPES[scope]}.` });
    }
  }
  if (scopes.includes('fenx.all')) {
    const included = scopes.filter((s) => s.startsWith('fenx.') && s !== 'fenx.all');
    if (included.length) {
      issues.push({
        code: 'REDUNDANT',
        scopes: included,
        message: `'fenx.all' already includes ${list(included)}.`,
      });
    }
  }
  const writes = scopes.filter((s) => accessOf(s) === 'write');
  if (writes.length && scopes.some((s) => accessOf(s) === 'read')) {
    issues.push({
      code: 'READ_AND_WRITE',
      scopes: writes,
      message: `This asks for read and write access together; if the task only reads, leave out ${list(writes)}.`,
    });
  }
  const placeholders = scopes.filter((s) => s.includes('<') || s.includes('>'));
  if (placeholders.length) {
    issues.push({
      code: 'PLACEHOLDER',
      scopes: placeholders,
      message: `Replace the placeholder in ${list(placeholders)} with your value, such as your tenant id.`,
    });
  }
  const unknown = scopes.filter((s) => !placeholders.includes(s) && !known(kind, s));
  if (unknown.length) {
    const provider = kind === 'fentu' ? 'Fentu' : 'Fenergo';
    issues.push({
      code: 'UNKNOWN',
      scopes: unknown,
      message: `${list(unknown)} ${unknown.length === 1 ? 'is' : 'are'} not in the ${provider} scope list; the server will likely answer invalid_scope.`,
    });
  }
  if (over && limit !== undefined) {
    issues.push({
      code: 'OVER_LIMIT',
      scopes: [],
      message: `The scope is ${value.length} characters; ${kind === 'fenergo' ? 'Fenergo accepts' : 'the limit is'} at most ${limit}, so it is over by ${value.length - limit}.`,
    });
  }
  return { value, length: value.length, limit, over, warnings: issues.map((i) => i.message), issues };
}

/** Whether a scope is in the catalog of `kind`; always true for kinds without a catalog. */
function known(kind: ScopeKind, scope: string): boolean {
  if (kind === 'fentu') {
    return Object.hasOwn(FENTU_SCOPE_DESCRIPTIONS, scope) || Object.hasOwn(IDENTITY_SCOPE_DESCRIPTIONS, scope);
  }
  if (kind === 'fenergo') return FENERGO_SCOPES.some((s) => s.scope === scope) || TENANT_SCOPE.test(scope);
  return true;
}

// eslint-disable-next-line no-control-regex
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Invalid input made safe to show: control and bidi characters as \u escapes, cut to 60 characters. */
function printable(value: string): string {
  const cut = value.length > 60 ? `${value.slice(0, 60)}…` : value;
  return cut.replace(UNSAFE_TEXT, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
