// The profile templates: where a new profile starts for each provider Fieldpass knows.
// Framework-free.
import { FieldpassError } from '../base/errors.js';
import { TENANT_SCOPE_PLACEHOLDER, type ScopeKind } from './scope-builder.js';
import { INSPECT_CALLBACK_PATH, newProfileId, type Profile, type ProfileTemplateId } from './profile-model.js';

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
export function profileTemplate(template: ProfileTemplateId): ProfileTemplate {
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
