// The local sandbox's defaults (`npm run dev`): where it listens and the clients it knows. The
// sandbox reads them (sandbox/settings.js, where the environment may change them), and so do the
// app when nothing is configured, its sandbox providers and the tests. Plain JavaScript, so the
// sandbox runs it in Node without a build. The secrets are the sandbox's own, not real ones.

/** The authorization server (the issuer), the Fentu API and the partner APIs. */
export const SANDBOX_ISSUER = 'http://127.0.0.1:9000';
export const SANDBOX_API_BASE_URL = 'http://127.0.0.1:9100';
export const SANDBOX_M2M_BASE_URL = 'http://127.0.0.1:9200';

/** The app's own public client. */
export const SANDBOX_CLIENT_ID = 'fieldpass';
/** The tenant of the Fenergo stand-in (`tenant/<tenant-id>` scopes). */
export const SANDBOX_TENANT_ID = '6f1c2d3e-0000-4000-8000-00000000f3n7';
/** The confidential machine-to-machine clients, one per partner API. */
export const SANDBOX_FENERGO_CLIENT_ID = 'fenergo-sandbox';
export const SANDBOX_FENERGO_SECRET = 'sandbox-fenergo-secret';
export const SANDBOX_FENRIS_CLIENT_ID = 'fenris-sandbox';
export const SANDBOX_FENRIS_SECRET = 'sandbox-fenris-secret';
/** The confidential client that may introspect any token (RFC 7662). */
export const SANDBOX_INTROSPECTION_CLIENT_ID = 'fieldpass-route';
