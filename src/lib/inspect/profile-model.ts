// The inspector profile: what the developer tells the inspector about an authorization server and
// a client. A profile never holds a secret: client secrets stay in the server configuration of the
// client-credentials route (checklist #64, #81). Framework-free.

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

export const PROFILE_KINDS: readonly ProfileKind[] = ['authorization_code', 'client_credentials'];
export const PROFILE_TEMPLATE_IDS: readonly ProfileTemplateId[] = [
  'fentu',
  'fenergo-tm',
  'fenergo-saas',
  'fenris',
  'sandbox',
  'custom',
];
export const CLIENT_AUTH_METHODS: readonly ClientAuth[] = ['none', 'client_secret_post', 'client_secret_basic'];
export const ENDPOINT_NAMES = [
  'authorization_endpoint',
  'token_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'userinfo_endpoint',
] as const satisfies readonly (keyof ProfileEndpoints)[];

/** The path of the inspector's own callback; `sandboxProfile` and the templates point there. */
export const INSPECT_CALLBACK_PATH = '/inspect/callback';

/** Limits on what a profile may hold, so an imported file cannot bloat storage or the page. */
export const PROFILE_LIMITS = Object.freeze({
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

/** What a profile id may be: the shape `newProfileId` makes, or one a developer chose. */
export const PROFILE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A new random profile id: 22 base64url characters (128 bits from the CSPRNG). */
export function newProfileId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
