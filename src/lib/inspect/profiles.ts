// Inspector profiles: what the developer tells the inspector about an authorization server and a
// client, with templates for the providers Fieldpass knows, JSON export/import, and a store over
// the app's RecordStore. A profile never holds a secret: client secrets stay in the server
// configuration of the client-credentials route (checklist #64, #81). Framework-free.

import { isLoopbackHost } from '../base/http.js';
import { FieldpassError } from '../base/errors.js';
import type { RecordStore } from '../base/record-store.js';
import { SCOPE_TOKEN, TENANT_ID } from '../oauth/scopes.js';
import { TENANT_SCOPE_PLACEHOLDER, type ScopeKind } from './scope-builder.js';
import { SECRET_FIELDS } from '../base/mask.js';

export type ProfileKind = 'authorization_code' | 'client_credentials';
export type ProfileTemplateId = 'fentu' | 'fenergo-tm' | 'fenergo-saas' | 'fenris' | 'sandbox' | 'custom';
/** Client authentication at the token endpoint (RFC 6749 §2.3.1); `none` for a public client. */
export type ClientAuth = 'none' | 'client_secret_post' | 'client_secret_basic';

/** Endpoints entered by hand (RFC 8414 §2 names), for servers without discovery or to override it. */
export interface ProfileEndpoints {
  authorization_endpoint?: string;
  token_endpoint?: string;
  revocation_endpoint?: string;
  introspection_endpoint?: string;
  userinfo_endpoint?: string;
}

/** One inspector profile. Holds no secret, by construction: see `validateProfile`. */
export interface Profile {
  id: string;
  name: string;
  kind: ProfileKind;
  template: ProfileTemplateId;
  /** The issuer identifier, kept exactly as typed; discovery and the `iss` check use it (RFC 9207). */
  issuer?: string;
  endpoints?: ProfileEndpoints;
  clientId?: string;
  /** The redirect URI this inspector sends: its own `/inspect/callback`. */
  redirectUri?: string;
  /** What the developer says is registered at the server, for the redirect-URI linter. */
  registeredRedirectUris: string[];
  scopes: string[];
  clientAuth: ClientAuth;
  /** Fenergo tenant id: `tenant/<id>` for Transaction Monitoring, `x-tenant-id` for SaaS API calls. */
  tenantId?: string;
  /** The name of the server-configured provider (M2M_PROVIDERS) the client-credentials tester calls. */
  m2mProvider?: string;
  notes?: string;
}

const PROFILE_KINDS: readonly ProfileKind[] = ['authorization_code', 'client_credentials'];
export const PROFILE_TEMPLATE_IDS: readonly ProfileTemplateId[] = [
  'fentu',
  'fenergo-tm',
  'fenergo-saas',
  'fenris',
  'sandbox',
  'custom',
];
const CLIENT_AUTH_METHODS: readonly ClientAuth[] = ['none', 'client_secret_post', 'client_secret_basic'];
const ENDPOINT_NAMES = [
  'authorization_endpoint',
  'token_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'userinfo_endpoint',
] as const satisfies readonly (keyof ProfileEndpoints)[];

/** The path of the inspector's own callback; `sandboxProfile` and the templates point there. */
const INSPECT_CALLBACK_PATH = '/inspect/callback';

/** Limits on what a profile may hold, so an imported file cannot bloat storage or the page. */
const PROFILE_LIMITS = Object.freeze({
  profiles: 50,
  importChars: 256 * 1024,
  name: 100,
  url: 2048,
  clientId: 256,
  redirectUris: 20,
  scopes: 100,
  scope: 256,
  tenantId: 64,
  notes: 4000,
});

/** A template: where a new profile starts, and what the developer still has to fill in. */
export interface ProfileTemplate {
  template: ProfileTemplateId;
  name: string;
  /** One paragraph for the template picker: what is filled in and what to enter. */
  summary: string;
  /** Which scope catalog and rules the scope builder uses for profiles from this template. */
  scopeKind: ScopeKind;
  /** The profile fields the template fills in; `redirectUri` is added by `profileFromTemplate`. */
  defaults: Omit<Profile, 'id' | 'redirectUri'>;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

/** The templates, built from the provider documents in ../shared/seeds/. Frozen: copy before editing. */
export const PROFILE_TEMPLATES: readonly ProfileTemplate[] = deepFreeze([
  {
    template: 'fentu',
    name: 'Fentu FSM (user sign-in)',
    summary:
      'Authorization code with PKCE for a user of Fentu FSM, as a public client (no secret). Enter the issuer, or the authorization and token endpoints, and the client id of your Fentu application, and register the redirect URI with Fentu.',
    scopeKind: 'fentu',
    defaults: {
      name: 'Fentu FSM',
      kind: 'authorization_code',
      template: 'fentu',
      registeredRedirectUris: [],
      scopes: ['read:work-orders', 'read:customers', 'read:assets'],
      clientAuth: 'none',
      notes: 'Fentu FSM: access tokens last 1 hour, refresh tokens 30 days. Ask only for the scopes the task needs.',
    },
  },
  {
    template: 'fenergo-tm',
    name: 'Fenergo Transaction Monitoring (client credentials)',
    summary:
      'Client credentials with the secret in the form body. Fenergo Customer Success gives you the client id, the token URL of your tenant and your tenant scope tenant/<tenant-id>. The secret goes in the server configuration, never here.',
    scopeKind: 'fenergo',
    defaults: {
      name: 'Fenergo Transaction Monitoring',
      kind: 'client_credentials',
      template: 'fenergo-tm',
      registeredRedirectUris: [],
      scopes: [TENANT_SCOPE_PLACEHOLDER],
      clientAuth: 'client_secret_post',
      notes:
        'Fenergo Transaction Monitoring: the scope is your tenant scope, tenant/<tenant-id>. Tokens last 1 hour (expires_in 3600); a 401 from an API means request a new one.',
    },
  },
  {
    template: 'fenergo-saas',
    name: 'Fenergo SaaS APIs (client credentials)',
    summary:
      "Client credentials with the secret in the form body, against Fenergo's identity service. The token endpoint depends on your region; the tenant id is not needed for the token but every API call sends it as x-tenant-id.",
    scopeKind: 'fenergo',
    defaults: {
      name: 'Fenergo SaaS',
      kind: 'client_credentials',
      template: 'fenergo-saas',
      endpoints: { token_endpoint: 'https://identity.fenergox.com/connect/token' },
      registeredRedirectUris: [],
      scopes: ['fenx.entitydata.read', 'fenx.journey.read'],
      clientAuth: 'client_secret_post',
      m2mProvider: 'fenergo',
      notes:
        'Fenergo SaaS: the token endpoint is per region, like https://identity.<region>.fenergox.com/connect/token. Tokens last 900 s and the token endpoint allows 100 requests a minute per IP address, so cache them. Client credentials ignore access layers: a scope reads or writes all data of its API. The scope string may be at most 300 characters.',
    },
  },
  {
    template: 'fenris',
    name: 'Fenris Digital (client credentials)',
    summary:
      'Client credentials against Fenris\u2019s AWS Cognito authorization server, with the client id and secret in an HTTP Basic header and no scope. Enter the token endpoint from the code samples Fenris sends you.',
    scopeKind: 'fenris',
    defaults: {
      name: 'Fenris Digital',
      kind: 'client_credentials',
      template: 'fenris',
      registeredRedirectUris: [],
      scopes: [],
      clientAuth: 'client_secret_basic',
      m2mProvider: 'fenris',
      notes: 'Fenris: bearer tokens last 24 hours; request a new one when it expires.',
    },
  },
  {
    template: 'sandbox',
    name: 'Local sandbox',
    summary:
      'The local authorization server of npm run dev (oidc-provider at http://127.0.0.1:9000): PKCE required, DPoP-bound tokens, refresh-token rotation, revocation and introspection. Everything is filled in.',
    scopeKind: 'fentu',
    defaults: {
      name: 'Local sandbox',
      kind: 'authorization_code',
      template: 'sandbox',
      issuer: 'http://127.0.0.1:9000',
      clientId: 'fieldpass',
      registeredRedirectUris: [],
      scopes: ['openid', 'read:work-orders', 'read:customers', 'read:assets'],
      clientAuth: 'none',
      notes: 'The local sandbox: plain http is allowed because it is loopback only.',
    },
  },
  {
    template: 'custom',
    name: 'Custom',
    summary:
      'Any authorization server: enter its issuer to use discovery (RFC 8414), or its endpoints by hand, and the client id it gave you.',
    scopeKind: 'none',
    defaults: {
      name: 'Custom',
      kind: 'authorization_code',
      template: 'custom',
      registeredRedirectUris: [],
      scopes: [],
      clientAuth: 'none',
    },
  },
] satisfies ProfileTemplate[]);

/** The template with this id. */
function profileTemplate(template: ProfileTemplateId): ProfileTemplate {
  const found = PROFILE_TEMPLATES.find((t) => t.template === template);
  if (!found) throw new FieldpassError('CONFIG_INVALID', `There is no profile template "${String(template)}".`);
  return found;
}

/** Which scope catalog and rules apply to a profile: its template's. */
export function scopeKindOf(profile: Pick<Profile, 'template'>): ScopeKind {
  return PROFILE_TEMPLATES.find((t) => t.template === profile.template)?.scopeKind ?? 'none';
}

/**
 * A new profile from a template, with a fresh id. Authorization-code templates get this app's
 * inspector callback, `<appOrigin>/inspect/callback`, as their redirect URI.
 */
export function profileFromTemplate(template: ProfileTemplateId, appOrigin: string): Profile {
  const { defaults } = profileTemplate(template);
  const profile: Profile = structuredClone({ ...defaults, id: newProfileId() });
  if (profile.kind === 'authorization_code') profile.redirectUri = inspectCallback(appOrigin);
  return profile;
}

/**
 * The local sandbox profile: issuer http://127.0.0.1:9000, client `fieldpass`, redirect URI
 * `<appOrigin>/inspect/callback`, which is also listed as registered (the sandbox must register it).
 */
export function sandboxProfile(appOrigin: string): Profile {
  const profile = profileFromTemplate('sandbox', appOrigin);
  profile.registeredRedirectUris = [profile.redirectUri as string];
  return profile;
}

function inspectCallback(appOrigin: string): string {
  let origin: string;
  try {
    origin = new URL(appOrigin).origin;
  } catch (cause) {
    throw new FieldpassError('CONFIG_INVALID', `The app origin is not a URL: "${appOrigin}".`, {}, cause);
  }
  return `${origin}${INSPECT_CALLBACK_PATH}`;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A new random profile id: 22 base64url characters (128 bits from the CSPRNG). */
export function newProfileId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

// ---------------------------------------------------------------------------------------------
// Validation

/** Why a profile field was dropped or a profile left out. */
export type ProfileIssueCode =
  /** A field that looks like a secret (client_secret, password, token, key material): never kept. */
  | 'SECRET_DROPPED'
  /** A field profiles do not have: dropped. */
  | 'UNKNOWN_FIELD'
  /** A field with a value that fails its rule: dropped. */
  | 'INVALID_FIELD'
  /** A profile whose name, kind, template or client authentication is missing or wrong: left out. */
  | 'PROFILE_SKIPPED'
  /** A missing-looking, malformed or repeated id: the profile got a new one. */
  | 'ID_REPLACED'
  /** Two profiles give one issuer different endpoints (checklist #2). */
  | 'ISSUER_CONFLICT'
  /** A top-level member of the file that is not part of the format: ignored. */
  | 'UNKNOWN_MEMBER';

export interface ProfileIssue {
  code: ProfileIssueCode;
  /** The field at fault, as a path such as `endpoints.token_endpoint`. */
  field?: string;
  message: string;
}

/** The warning every dropped secret gets, in these words. */
export const SECRETS_NEVER_IMPORTED = 'secrets are never imported; they stay in the server configuration';

const PROFILE_FIELDS = new Set<string>([
  'id',
  'name',
  'kind',
  'template',
  'issuer',
  'endpoints',
  'clientId',
  'redirectUri',
  'registeredRedirectUris',
  'scopes',
  'clientAuth',
  'tenantId',
  'm2mProvider',
  'notes',
]);

// eslint-disable-next-line no-control-regex
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_NOTES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const VSCHAR = /^[\x20-\x7E]+$/; // RFC 6749 Appendix A.1 (client_id)
const PROVIDER_NAME = /^[a-z][a-z0-9-]{0,63}$/; // the M2M_PROVIDERS name rule

/** Field names that suggest a credential, compared lower-case with separators removed. */
const SECRET_NAME =
  /secret|passw|passphrase|token|credential|assertion|privatekey|apikey|signingkey|bearer|cookie|session|jwk|pem|^key$|^d$|^dp$|^dq$|^qi$/;

function looksLikeSecretName(name: string): boolean {
  return SECRET_NAME.test(name.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

/** Values that are credentials whatever their field: PEM key material, JWTs, Basic/Bearer values. */
function looksLikeSecretValue(value: unknown): boolean {
  if (typeof value === 'object' && value !== null) {
    // A JWK with private members (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
    return ['d', 'k', 'p', 'q'].some((m) => Object.hasOwn(value, m));
  }
  if (typeof value !== 'string') return false;
  return (
    /-----BEGIN [A-Z ]*(PRIVATE KEY|SECRET)/.test(value) ||
    /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./.test(value) ||
    /\b(Basic|Bearer|DPoP) [A-Za-z0-9+/=._~-]{16,}/.test(value)
  );
}

/** A profile or field name made safe for a warning: control and bidi characters removed, cut short. */
function label(value: string, max = 60): string {
  const clean = value.replace(new RegExp(UNSAFE_TEXT.source, 'g'), '');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

type UrlRule = 'endpoint' | 'issuer' | 'redirect';

/**
 * Checks one URL. Endpoints and issuers: https, or http on a loopback host (RFC 9700 §2.6, RFC
 * 8252 §8.3); no user:password; no fragment; an issuer also no query (RFC 8414 §2); no credential
 * in the query. Returns the trimmed string as typed (never re-serialized: issuers compare exactly),
 * or why it was refused.
 */
function checkUrl(value: unknown, rule: UrlRule): { ok: string } | { why: string; secret?: true } {
  if (typeof value !== 'string') return { why: 'is not text' };
  const text = value.trim();
  if (!text || text.length > PROFILE_LIMITS.url) return { why: `must be 1 to ${PROFILE_LIMITS.url} characters` };
  if (UNSAFE_TEXT.test(text)) return { why: 'contains control characters' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { why: 'is not an absolute URL' };
  }
  if (url.username || url.password) return { why: 'contains a user name or password', secret: true };
  for (const name of url.searchParams.keys()) {
    if (SECRET_FIELDS.has(name) || looksLikeSecretName(name)) return { why: `carries "${name}"`, secret: true };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return { why: 'must use https (plain http only for 127.0.0.1, [::1] and localhost)' };
  }
  if (text.includes('#')) return { why: 'must not have a #fragment' };
  if (rule === 'issuer' && url.search) return { why: 'must not have a query (RFC 8414 §2)' };
  return { ok: text };
}

/** The result of `validateProfile`. */
export type ProfileCheck =
  { profile: Profile; issues: ProfileIssue[] } | { error: ProfileIssue; issues: ProfileIssue[] };

/**
 * Validates an untrusted profile and rebuilds it from the allow-listed fields only. Unknown fields
 * and anything that looks like a secret are dropped; optional fields that fail their rule are
 * dropped; a missing or wrong name, kind, template or clientAuth makes the whole profile an error.
 * A missing or malformed id is replaced with a new one.
 */
export function validateProfile(input: unknown): ProfileCheck {
  const issues: ProfileIssue[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    const error: ProfileIssue = { code: 'PROFILE_SKIPPED', message: 'A profile must be a JSON object.' };
    return { error, issues: [error] };
  }
  const raw = input as Record<string, unknown>;
  const who = typeof raw.name === 'string' && raw.name.trim() ? `Profile "${label(raw.name.trim())}"` : 'A profile';
  const secret = (field: string) =>
    issues.push({
      code: 'SECRET_DROPPED',
      field,
      message: `${who}: dropped "${label(field)}": ${SECRETS_NEVER_IMPORTED}.`,
    });
  const invalid = (field: string, why: string) =>
    issues.push({ code: 'INVALID_FIELD', field, message: `${who}: dropped ${field}, which ${why}.` });

  for (const key of Object.keys(raw)) {
    if (PROFILE_FIELDS.has(key)) continue;
    if (looksLikeSecretName(key) || looksLikeSecretValue(raw[key])) secret(key);
    else issues.push({ code: 'UNKNOWN_FIELD', field: key, message: `${who}: dropped unknown field "${label(key)}".` });
  }

  const skip = (field: string, why: string): ProfileCheck => {
    const error: ProfileIssue = { code: 'PROFILE_SKIPPED', field, message: `${who} was left out: ${field} ${why}.` };
    issues.push(error);
    return { error, issues };
  };
  const name = typeof raw.name === 'string' ? raw.name.trim() : '';
  if (!name || name.length > PROFILE_LIMITS.name || UNSAFE_TEXT.test(name)) {
    return skip('name', `must be 1 to ${PROFILE_LIMITS.name} characters of plain text`);
  }
  if (looksLikeSecretValue(name)) {
    secret('name');
    return skip('name', 'looks like a secret');
  }
  if (!PROFILE_KINDS.includes(raw.kind as ProfileKind)) return skip('kind', `must be ${PROFILE_KINDS.join(' or ')}`);
  if (!PROFILE_TEMPLATE_IDS.includes(raw.template as ProfileTemplateId)) {
    return skip('template', `must be one of ${PROFILE_TEMPLATE_IDS.join(', ')}`);
  }
  if (!CLIENT_AUTH_METHODS.includes(raw.clientAuth as ClientAuth)) {
    return skip('clientAuth', `must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
  }

  let id = typeof raw.id === 'string' ? raw.id : '';
  if (!ID.test(id)) {
    if (raw.id !== undefined) {
      issues.push({ code: 'ID_REPLACED', field: 'id', message: `${who}: its id was malformed and was replaced.` });
    }
    id = newProfileId();
  }

  const profile: Profile = {
    id,
    name,
    kind: raw.kind as ProfileKind,
    template: raw.template as ProfileTemplateId,
    registeredRedirectUris: [],
    scopes: [],
    clientAuth: raw.clientAuth as ClientAuth,
  };

  const url = (field: string, value: unknown, rule: UrlRule): string | undefined => {
    if (value === undefined) return undefined;
    const checked = checkUrl(value, rule);
    if ('ok' in checked) return checked.ok;
    if (checked.secret) secret(field);
    else invalid(field, checked.why);
    return undefined;
  };

  profile.issuer = url('issuer', raw.issuer, 'issuer');

  if (raw.endpoints !== undefined) {
    if (typeof raw.endpoints !== 'object' || raw.endpoints === null || Array.isArray(raw.endpoints)) {
      invalid('endpoints', 'is not an object');
    } else {
      const given = raw.endpoints as Record<string, unknown>;
      const endpoints: ProfileEndpoints = {};
      for (const key of Object.keys(given)) {
        const field = `endpoints.${key}`;
        if ((ENDPOINT_NAMES as readonly string[]).includes(key)) {
          const value = url(field, given[key], 'endpoint');
          if (value !== undefined) endpoints[key as keyof ProfileEndpoints] = value;
        } else if (looksLikeSecretName(key) || looksLikeSecretValue(given[key])) {
          secret(field);
        } else {
          issues.push({ code: 'UNKNOWN_FIELD', field, message: `${who}: dropped unknown field "${label(field)}".` });
        }
      }
      if (Object.keys(endpoints).length) profile.endpoints = endpoints;
    }
  }

  if (raw.clientId !== undefined) {
    const value = typeof raw.clientId === 'string' ? raw.clientId.trim() : '';
    if (!value || value.length > PROFILE_LIMITS.clientId || !VSCHAR.test(value)) {
      invalid('clientId', `is not 1 to ${PROFILE_LIMITS.clientId} printable ASCII characters (RFC 6749 Appendix A.1)`);
    } else if (looksLikeSecretValue(value)) secret('clientId');
    else profile.clientId = value;
  }

  profile.redirectUri = url('redirectUri', raw.redirectUri, 'redirect');

  if (raw.registeredRedirectUris !== undefined) {
    if (!Array.isArray(raw.registeredRedirectUris)) invalid('registeredRedirectUris', 'is not a list');
    else {
      // Kept as typed, even when malformed: the redirect-URI linter is there to explain what is wrong.
      for (const [i, value] of raw.registeredRedirectUris.entries()) {
        const field = `registeredRedirectUris[${i}]`;
        if (i >= PROFILE_LIMITS.redirectUris) {
          invalid('registeredRedirectUris', `has more than ${PROFILE_LIMITS.redirectUris} entries; the rest`);
          break;
        }
        if (
          typeof value !== 'string' ||
          !value.trim() ||
          value.length > PROFILE_LIMITS.url ||
          UNSAFE_TEXT.test(value)
        ) {
          invalid(field, `is not 1 to ${PROFILE_LIMITS.url} characters of plain text`);
        } else if (looksLikeSecretValue(value) || /:[^/@]*@/.test(value)) secret(field);
        else if (!profile.registeredRedirectUris.includes(value.trim()))
          profile.registeredRedirectUris.push(value.trim());
      }
    }
  }

  if (raw.scopes !== undefined) {
    if (!Array.isArray(raw.scopes)) invalid('scopes', 'is not a list');
    else {
      for (const [i, value] of raw.scopes.entries()) {
        if (i >= PROFILE_LIMITS.scopes) {
          invalid('scopes', `has more than ${PROFILE_LIMITS.scopes} entries; the rest`);
          break;
        }
        if (typeof value !== 'string' || value.length > PROFILE_LIMITS.scope || !SCOPE_TOKEN.test(value)) {
          invalid(`scopes[${i}]`, 'is not a valid scope (RFC 6749 §3.3)');
        } else if (!profile.scopes.includes(value)) profile.scopes.push(value);
      }
    }
  }

  if (raw.tenantId !== undefined) {
    const id = typeof raw.tenantId === 'string' ? raw.tenantId.trim() : '';
    if (TENANT_ID.test(id) && id.length <= PROFILE_LIMITS.tenantId) profile.tenantId = id;
    else invalid('tenantId', `is not 1 to ${PROFILE_LIMITS.tenantId} letters, digits and dashes`);
  }
  if (raw.m2mProvider !== undefined) {
    if (typeof raw.m2mProvider === 'string' && PROVIDER_NAME.test(raw.m2mProvider)) {
      profile.m2mProvider = raw.m2mProvider;
    } else invalid('m2mProvider', 'is not a provider name (lower-case letters, digits and dashes)');
  }
  if (raw.notes !== undefined) {
    if (typeof raw.notes !== 'string' || raw.notes.length > PROFILE_LIMITS.notes || UNSAFE_NOTES.test(raw.notes)) {
      invalid('notes', `is not plain text of at most ${PROFILE_LIMITS.notes} characters`);
    } else if (looksLikeSecretValue(raw.notes)) secret('notes');
    else if (raw.notes.trim()) profile.notes = raw.notes.trim();
  }

  // Leave no `undefined` members behind: the JSON and the stored record stay minimal.
  for (const key of Object.keys(profile) as (keyof Profile)[]) if (profile[key] === undefined) delete profile[key];
  return { profile, issues };
}

/**
 * Another profile that gives the same issuer different endpoints, if any: an issuer identifies one
 * authorization server (RFC 9207 §4, checklist #2), so one of the two is wrong.
 */
export function findIssuerConflict(profiles: readonly Profile[], candidate: Profile): Profile | undefined {
  if (!candidate.issuer) return undefined;
  return profiles.find(
    (other) =>
      other.id !== candidate.id &&
      other.issuer === candidate.issuer &&
      ENDPOINT_NAMES.some((name) => {
        const a = other.endpoints?.[name];
        const b = candidate.endpoints?.[name];
        return a !== undefined && b !== undefined && a !== b;
      }),
  );
}

// ---------------------------------------------------------------------------------------------
// Export and import

const PROFILES_FORMAT = 'fieldpass-profiles';
const PROFILES_VERSION = 1;

/**
 * Profiles as a JSON file (`format: 'fieldpass-profiles'`, `version: 1`). Every profile is rebuilt
 * from the allow-listed fields by `validateProfile`, so nothing a caller added — a client secret,
 * a token — can be in the file (checklist #64); a profile that does not validate is left out.
 */
export function exportProfiles(profiles: readonly Profile[]): string {
  const clean = profiles.flatMap((p) => {
    const checked = validateProfile(p);
    return 'profile' in checked ? [checked.profile] : [];
  });
  return JSON.stringify({ format: PROFILES_FORMAT, version: PROFILES_VERSION, profiles: clean }, null, 2);
}

/** Why a whole file was refused. */
export type ImportErrorCode = 'TOO_LARGE' | 'NOT_JSON' | 'WRONG_FORMAT' | 'UNSUPPORTED_VERSION' | 'TOO_MANY';

export type ImportResult =
  { profiles: Profile[]; warnings: string[]; issues: ProfileIssue[] } | { error: ImportErrorCode; message: string };

/**
 * Reads a file written by `exportProfiles`, treating it as hostile. Refuses the file when it is
 * over 256 KB, not JSON, not this format or version, or holds more than 50 profiles. Inside, each
 * profile goes through `validateProfile`: unknown fields are dropped with a warning, anything
 * that looks like a secret is dropped with the warning SECRETS_NEVER_IMPORTED, and bad profiles are
 * left out. Repeated ids get new ones. `warnings` are `issues`' messages, for display as text.
 */
export function importProfiles(json: string): ImportResult {
  if (typeof json !== 'string') return { error: 'NOT_JSON', message: 'The file is not text.' };
  if (json.length > PROFILE_LIMITS.importChars) {
    return { error: 'TOO_LARGE', message: `The file is larger than ${PROFILE_LIMITS.importChars / 1024} KB.` };
  }
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return { error: 'NOT_JSON', message: 'The file is not valid JSON.' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { error: 'WRONG_FORMAT', message: 'The file is not a Fieldpass profiles file.' };
  }
  const file = data as Record<string, unknown>;
  if (file.format !== PROFILES_FORMAT || !Array.isArray(file.profiles)) {
    return { error: 'WRONG_FORMAT', message: 'The file is not a Fieldpass profiles file.' };
  }
  if (file.version !== PROFILES_VERSION) {
    return { error: 'UNSUPPORTED_VERSION', message: `Only version ${PROFILES_VERSION} profile files can be read.` };
  }
  if (file.profiles.length > PROFILE_LIMITS.profiles) {
    return { error: 'TOO_MANY', message: `The file has more than ${PROFILE_LIMITS.profiles} profiles.` };
  }

  const issues: ProfileIssue[] = [];
  for (const key of Object.keys(file)) {
    if (key === 'format' || key === 'version' || key === 'profiles') continue;
    if (looksLikeSecretName(key) || looksLikeSecretValue(file[key])) {
      issues.push({
        code: 'SECRET_DROPPED',
        field: key,
        message: `Dropped "${label(key)}": ${SECRETS_NEVER_IMPORTED}.`,
      });
    } else {
      issues.push({
        code: 'UNKNOWN_MEMBER',
        field: key,
        message: `Ignored "${label(key)}", which is not part of the file format.`,
      });
    }
  }

  const profiles: Profile[] = [];
  for (const entry of file.profiles) {
    const checked = validateProfile(entry);
    issues.push(...checked.issues);
    if (!('profile' in checked)) continue;
    const { profile } = checked;
    if (profiles.some((p) => p.id === profile.id)) {
      profile.id = newProfileId();
      issues.push({
        code: 'ID_REPLACED',
        field: 'id',
        message: `Profile "${label(profile.name)}" had the id of another profile in the file and got a new one.`,
      });
    }
    const conflict = findIssuerConflict(profiles, profile);
    if (conflict) {
      issues.push({
        code: 'ISSUER_CONFLICT',
        field: 'issuer',
        message: `Profiles "${label(conflict.name)}" and "${label(profile.name)}" give the issuer ${label(profile.issuer ?? '', 200)} different endpoints; an issuer belongs to one server, so check which is right.`,
      });
    }
    profiles.push(profile);
  }
  return { profiles, warnings: [...new Set(issues.map((i) => i.message))], issues };
}

// ---------------------------------------------------------------------------------------------
// Storage

/** Profiles are kept as `profile:<id>` records in the app's RecordStore (IndexedDB in the browser). */
export const PROFILE_KEY_PREFIX = 'profile:';

/** Saved profiles. */
export interface ProfileStore {
  /** Every stored profile that still validates, sorted by name. */
  list(): Promise<Profile[]>;
  /**
   * Validates and stores a profile, rebuilt from the allow-listed fields (so no secret is ever
   * written), and returns what was stored. Throws `CONFIG_INVALID` naming the field
   * (`details.variable`) when a field fails its rule, or when 50 profiles are already stored.
   */
  save(profile: Profile): Promise<Profile>;
  remove(id: string): Promise<void>;
}

/** A ProfileStore over a RecordStore; tests pass `createMemoryStore()`. */
export function createProfileStore(store: RecordStore): ProfileStore {
  const keyOf = (id: string) => `${PROFILE_KEY_PREFIX}${id}`;
  const ids = async () =>
    (await store.keys()).filter((k) => k.startsWith(PROFILE_KEY_PREFIX)).map((k) => k.slice(PROFILE_KEY_PREFIX.length));

  return {
    async list() {
      const profiles: Profile[] = [];
      for (const id of await ids()) {
        const checked = validateProfile(await store.get(keyOf(id)));
        // A record that no longer validates (written by a broken build, or edited by hand) is not shown.
        if ('profile' in checked && checked.profile.id === id) profiles.push(checked.profile);
      }
      return profiles.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    },

    async save(profile) {
      if (typeof profile?.id !== 'string' || !ID.test(profile.id)) {
        throw new FieldpassError('CONFIG_INVALID', 'The profile has no valid id.', { variable: 'id' });
      }
      const checked = validateProfile(profile);
      if (!('profile' in checked)) {
        throw new FieldpassError('CONFIG_INVALID', checked.error.message, { variable: checked.error.field });
      }
      // A bad value in a field the profile has is an error to show; unknown fields (UI state, a
      // smuggled secret) are simply not stored.
      const bad = checked.issues.find(
        (i) =>
          i.code === 'INVALID_FIELD' ||
          (i.code === 'SECRET_DROPPED' && PROFILE_FIELDS.has((i.field ?? '').replace(/[.[].*$/, ''))),
      );
      if (bad) throw new FieldpassError('CONFIG_INVALID', bad.message, { variable: bad.field });
      const existing = await ids();
      if (!existing.includes(profile.id) && existing.length >= PROFILE_LIMITS.profiles) {
        throw new FieldpassError('CONFIG_INVALID', `At most ${PROFILE_LIMITS.profiles} profiles can be saved.`);
      }
      await store.set(keyOf(checked.profile.id), checked.profile);
      return checked.profile;
    },

    async remove(id) {
      if (typeof id === 'string' && ID.test(id)) await store.del(keyOf(id));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Importing beside saved profiles

/** An imported profile whose id is already saved in this browser. */
export interface ImportClash {
  imported: Profile;
  saved: Profile;
}

/** What to do with imported profiles whose id is already saved: overwrite, or store them beside. */
export type ClashChoice = 'replace' | 'keep-both';

/**
 * Splits imported profiles into those with a new id and those whose id is already saved, and
 * finds each imported profile that gives a saved profile's issuer other endpoints (checklist #2:
 * an issuer belongs to one server), whichever the developer then chooses for the id.
 */
export function findImportClashes(
  imported: readonly Profile[],
  saved: readonly Profile[],
): { fresh: Profile[]; clashes: ImportClash[]; issuerConflicts: ImportClash[] } {
  const byId = new Map(saved.map((p) => [p.id, p]));
  const fresh: Profile[] = [];
  const clashes: ImportClash[] = [];
  const issuerConflicts: ImportClash[] = [];
  for (const profile of imported) {
    const existing = byId.get(profile.id);
    if (existing) clashes.push({ imported: profile, saved: existing });
    else fresh.push(profile);
    // Kept beside it, the imported profile would conflict with the one of its own id too.
    const conflict = findIssuerConflict(saved, { ...profile, id: '' });
    if (conflict) issuerConflicts.push({ imported: profile, saved: conflict });
  }
  return { fresh, clashes, issuerConflicts };
}

/**
 * The profiles to store for the clashes: with `replace`, the imported ones as they are (each
 * overwrites the saved one); with `keep-both`, each under a new id, named "(imported)" when its
 * name is the saved one's, so the two can be told apart.
 */
export function resolveImportClashes(clashes: readonly ImportClash[], choice: ClashChoice): Profile[] {
  if (choice === 'replace') return clashes.map((c) => c.imported);
  return clashes.map(({ imported, saved }) => {
    const suffix = ' (imported)';
    const name =
      imported.name === saved.name && imported.name.length + suffix.length <= PROFILE_LIMITS.name
        ? `${imported.name}${suffix}`
        : imported.name;
    return { ...imported, id: newProfileId(), name };
  });
}
