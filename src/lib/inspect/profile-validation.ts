// Profile validation: an untrusted profile rebuilt from the allow-listed fields, each checked by
// its own rule, with anything that looks like a secret dropped. Framework-free.
import { isLoopbackHost } from '../base/http.js';
import { SCOPE_TOKEN, TENANT_ID } from '../oauth/scopes.js';
import { SECRET_FIELDS } from '../base/mask.js';
import {
  CLIENT_AUTH_METHODS,
  ENDPOINT_NAMES,
  PROFILE_ID,
  PROFILE_KINDS,
  PROFILE_LIMITS,
  PROFILE_TEMPLATE_IDS,
  newProfileId,
  type ClientAuth,
  type Profile,
  type ProfileEndpoints,
  type ProfileKind,
  type ProfileTemplateId,
} from './profile-model.js';

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

/** The fields a profile has; anything else is dropped. */
export const PROFILE_FIELDS = new Set<string>([
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

export function looksLikeSecretName(name: string): boolean {
  return SECRET_NAME.test(name.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

/** Values that are credentials whatever their field: PEM key material, JWTs, Basic/Bearer values. */
export function looksLikeSecretValue(value: unknown): boolean {
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
export function label(value: string, max = 60): string {
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

/** Where the field rules report what they drop, each as a profile issue worded for display. */
interface FieldReport {
  /** A field that looks like a secret. */
  secret(field: string): void;
  /** A field whose value fails its rule, and `why`. */
  invalid(field: string, why: string): void;
  /** A field profiles do not have. */
  unknown(field: string): void;
}

function issueReport(who: string, issues: ProfileIssue[]): FieldReport {
  return {
    secret: (field) =>
      issues.push({
        code: 'SECRET_DROPPED',
        field,
        message: `${who}: dropped "${label(field)}": ${SECRETS_NEVER_IMPORTED}.`,
      }),
    invalid: (field, why) =>
      issues.push({ code: 'INVALID_FIELD', field, message: `${who}: dropped ${field}, which ${why}.` }),
    unknown: (field) =>
      issues.push({ code: 'UNKNOWN_FIELD', field, message: `${who}: dropped unknown field "${label(field)}".` }),
  };
}

/** A URL field: the URL as typed when it passes `checkUrl`, else reported and dropped. */
function urlField(field: string, value: unknown, rule: UrlRule, report: FieldReport): string | undefined {
  const checked = checkUrl(value, rule);
  if ('ok' in checked) return checked.ok;
  if (checked.secret) report.secret(field);
  else report.invalid(field, checked.why);
  return undefined;
}

function readEndpoints(value: unknown, report: FieldReport): ProfileEndpoints | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    report.invalid('endpoints', 'is not an object');
    return undefined;
  }
  const given = value as Record<string, unknown>;
  const endpoints: ProfileEndpoints = {};
  for (const key of Object.keys(given)) {
    const field = `endpoints.${key}`;
    if ((ENDPOINT_NAMES as readonly string[]).includes(key)) {
      const url = given[key] === undefined ? undefined : urlField(field, given[key], 'endpoint', report);
      if (url !== undefined) endpoints[key as keyof ProfileEndpoints] = url;
    } else if (looksLikeSecretName(key) || looksLikeSecretValue(given[key])) {
      report.secret(field);
    } else {
      report.unknown(field);
    }
  }
  return Object.keys(endpoints).length ? endpoints : undefined;
}

function readClientId(value: unknown, report: FieldReport): string | undefined {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!text || text.length > PROFILE_LIMITS.clientId || !VSCHAR.test(text)) {
    report.invalid(
      'clientId',
      `is not 1 to ${PROFILE_LIMITS.clientId} printable ASCII characters (RFC 6749 Appendix A.1)`,
    );
  } else if (looksLikeSecretValue(text)) report.secret('clientId');
  else return text;
  return undefined;
}

function readRegisteredRedirectUris(value: unknown, report: FieldReport): string[] | undefined {
  if (!Array.isArray(value)) {
    report.invalid('registeredRedirectUris', 'is not a list');
    return undefined;
  }
  const uris: string[] = [];
  // Kept as typed, even when malformed: the redirect-URI linter is there to explain what is wrong.
  for (const [i, entry] of value.entries()) {
    const field = `registeredRedirectUris[${i}]`;
    if (i >= PROFILE_LIMITS.redirectUris) {
      report.invalid('registeredRedirectUris', `has more than ${PROFILE_LIMITS.redirectUris} entries; the rest`);
      break;
    }
    if (typeof entry !== 'string' || !entry.trim() || entry.length > PROFILE_LIMITS.url || UNSAFE_TEXT.test(entry)) {
      report.invalid(field, `is not 1 to ${PROFILE_LIMITS.url} characters of plain text`);
    } else if (looksLikeSecretValue(entry) || /:[^/@]*@/.test(entry)) report.secret(field);
    else if (!uris.includes(entry.trim())) uris.push(entry.trim());
  }
  return uris;
}

function readScopes(value: unknown, report: FieldReport): string[] | undefined {
  if (!Array.isArray(value)) {
    report.invalid('scopes', 'is not a list');
    return undefined;
  }
  const scopes: string[] = [];
  for (const [i, entry] of value.entries()) {
    if (i >= PROFILE_LIMITS.scopes) {
      report.invalid('scopes', `has more than ${PROFILE_LIMITS.scopes} entries; the rest`);
      break;
    }
    if (typeof entry !== 'string' || entry.length > PROFILE_LIMITS.scope || !SCOPE_TOKEN.test(entry)) {
      report.invalid(`scopes[${i}]`, 'is not a valid scope (RFC 6749 §3.3)');
    } else if (!scopes.includes(entry)) scopes.push(entry);
  }
  return scopes;
}

function readTenantId(value: unknown, report: FieldReport): string | undefined {
  const id = typeof value === 'string' ? value.trim() : '';
  if (TENANT_ID.test(id) && id.length <= PROFILE_LIMITS.tenantId) return id;
  report.invalid('tenantId', `is not 1 to ${PROFILE_LIMITS.tenantId} letters, digits and dashes`);
  return undefined;
}

function readM2mProvider(value: unknown, report: FieldReport): string | undefined {
  if (typeof value === 'string' && PROVIDER_NAME.test(value)) return value;
  report.invalid('m2mProvider', 'is not a provider name (lower-case letters, digits and dashes)');
  return undefined;
}

function readNotes(value: unknown, report: FieldReport): string | undefined {
  if (typeof value !== 'string' || value.length > PROFILE_LIMITS.notes || UNSAFE_NOTES.test(value)) {
    report.invalid('notes', `is not plain text of at most ${PROFILE_LIMITS.notes} characters`);
  } else if (looksLikeSecretValue(value)) report.secret('notes');
  else if (value.trim()) return value.trim();
  return undefined;
}

type OptionalField = Exclude<keyof Profile, 'id' | 'name' | 'kind' | 'template' | 'clientAuth'>;

/**
 * The rule of each optional field, in the order the profile is built: the value to keep, or
 * undefined when the field is dropped (and reported).
 */
const FIELD_RULES: { [K in OptionalField]-?: (value: unknown, report: FieldReport) => Profile[K] | undefined } = {
  issuer: (value, report) => urlField('issuer', value, 'issuer', report),
  endpoints: readEndpoints,
  clientId: readClientId,
  redirectUri: (value, report) => urlField('redirectUri', value, 'redirect', report),
  registeredRedirectUris: readRegisteredRedirectUris,
  scopes: readScopes,
  tenantId: readTenantId,
  m2mProvider: readM2mProvider,
  notes: readNotes,
};

function setField<K extends OptionalField>(profile: Profile, field: K, value: Profile[K]): void {
  profile[field] = value;
}

/** Drops the members that are not profile fields, each reported as a secret or as unknown. */
function dropUnknownFields(raw: Record<string, unknown>, report: FieldReport): void {
  for (const key of Object.keys(raw)) {
    if (PROFILE_FIELDS.has(key)) continue;
    if (looksLikeSecretName(key) || looksLikeSecretValue(raw[key])) report.secret(key);
    else report.unknown(key);
  }
}

/** The first required field that is missing or wrong, and why; undefined when all are right. */
function requiredFieldProblem(raw: Record<string, unknown>, report: FieldReport): [string, string] | undefined {
  const name = typeof raw.name === 'string' ? raw.name.trim() : '';
  if (!name || name.length > PROFILE_LIMITS.name || UNSAFE_TEXT.test(name)) {
    return ['name', `must be 1 to ${PROFILE_LIMITS.name} characters of plain text`];
  }
  if (looksLikeSecretValue(name)) {
    report.secret('name');
    return ['name', 'looks like a secret'];
  }
  if (!PROFILE_KINDS.includes(raw.kind as ProfileKind)) return ['kind', `must be ${PROFILE_KINDS.join(' or ')}`];
  if (!PROFILE_TEMPLATE_IDS.includes(raw.template as ProfileTemplateId)) {
    return ['template', `must be one of ${PROFILE_TEMPLATE_IDS.join(', ')}`];
  }
  if (!CLIENT_AUTH_METHODS.includes(raw.clientAuth as ClientAuth)) {
    return ['clientAuth', `must be one of ${CLIENT_AUTH_METHODS.join(', ')}`];
  }
  return undefined;
}

/** The profile's id, or a new one when it is missing or malformed (reported when it was given). */
function profileId(raw: Record<string, unknown>, who: string, issues: ProfileIssue[]): string {
  if (typeof raw.id === 'string' && PROFILE_ID.test(raw.id)) return raw.id;
  if (raw.id !== undefined) {
    issues.push({ code: 'ID_REPLACED', field: 'id', message: `${who}: its id was malformed and was replaced.` });
  }
  return newProfileId();
}

/**
 * Validates an untrusted profile and rebuilds it from the allow-listed fields only. Unknown fields
 * and anything that looks like a secret are dropped; optional fields that fail their rule are
 * dropped; a missing or wrong name, kind, template or clientAuth makes the whole profile an error.
 * A missing or malformed id is replaced with a new one.
 */
export function validateProfile(input: unknown): ProfileCheck {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    const error: ProfileIssue = { code: 'PROFILE_SKIPPED', message: 'A profile must be a JSON object.' };
    return { error, issues: [error] };
  }
  const raw = input as Record<string, unknown>;
  const who = typeof raw.name === 'string' && raw.name.trim() ? `Profile "${label(raw.name.trim())}"` : 'A profile';
  const issues: ProfileIssue[] = [];
  const report = issueReport(who, issues);
  dropUnknownFields(raw, report);
  const problem = requiredFieldProblem(raw, report);
  if (problem) {
    const [field, why] = problem;
    const error: ProfileIssue = { code: 'PROFILE_SKIPPED', field, message: `${who} was left out: ${field} ${why}.` };
    issues.push(error);
    return { error, issues };
  }
  const profile: Profile = {
    id: profileId(raw, who, issues),
    name: (raw.name as string).trim(),
    kind: raw.kind as ProfileKind,
    template: raw.template as ProfileTemplateId,
    registeredRedirectUris: [],
    scopes: [],
    clientAuth: raw.clientAuth as ClientAuth,
  };
  for (const field of Object.keys(FIELD_RULES) as OptionalField[]) {
    if (raw[field] === undefined) continue;
    const value = FIELD_RULES[field](raw[field], report);
    if (value !== undefined) setField(profile, field, value);
  }
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
