import { defineEnvVars } from '@sveltejs/kit/env';

// The settings SvelteKit reads when the app starts. Every one is optional here: the whole
// configuration, with the rules that span several variables and the M2M_<NAME>_* family whose
// names the operator chooses, is checked in one place (#lib/server/config.ts), so that every
// problem is reported at once with the variable it concerns. `.env.example` documents each one.

const optional = (value: string | undefined) => value;

export const variables = defineEnvVars({
  PUBLIC_FENTU_ISSUER: { public: true, schema: optional, description: "The authorization server's issuer" },
  PUBLIC_FENTU_AUTHORIZATION_ENDPOINT: {
    public: true,
    schema: optional,
    description: 'Authorization endpoint, for servers without a discovery document',
  },
  PUBLIC_FENTU_TOKEN_ENDPOINT: {
    public: true,
    schema: optional,
    description: 'Token endpoint, for servers without a discovery document',
  },
  PUBLIC_FENTU_REVOCATION_ENDPOINT: {
    public: true,
    schema: optional,
    description: 'Revocation endpoint, for servers without a discovery document',
  },
  PUBLIC_FENTU_CLIENT_ID: { public: true, schema: optional, description: 'The public client id Fentu issued' },
  PUBLIC_FENTU_REDIRECT_URI: { public: true, schema: optional, description: "This app's /callback" },
  PUBLIC_FENTU_SCOPES: { public: true, schema: optional, description: 'Scopes offered on the consent screen' },
  PUBLIC_FENTU_API_BASE_URL: { public: true, schema: optional, description: 'Base URL of the Fentu FSM API' },
  PUBLIC_FENTU_PAR: {
    public: true,
    schema: optional,
    description: 'Pushed authorization requests: auto (when the server offers them) or off',
  },
  M2M_PROVIDERS: { schema: optional, description: 'Machine-to-machine provider names, space-separated' },
  FENTU_ACCESS_TOKEN_FORMAT: {
    schema: optional,
    description: "How the partner route checks users' access tokens: jwt, opaque (introspection) or auto",
  },
  FENTU_INTROSPECTION_CLIENT_ID: {
    schema: optional,
    description: "The partner route's client at the introspection endpoint",
  },
  FENTU_INTROSPECTION_CLIENT_SECRET: { schema: optional, description: "That client's secret" },
  FENTU_INTROSPECTION_AUTH_METHOD: {
    schema: optional,
    description: 'How that client authenticates: client_secret_basic or client_secret_post',
  },
  FENTU_INTROSPECTION_ENDPOINT: {
    schema: optional,
    description: "The introspection endpoint, when discovery's is not the one to use",
  },
  REDIS_URL: {
    schema: optional,
    description: 'Redis that instances share service tokens, locks and rate limits through (redis:// or rediss://)',
  },
  M2M_CACHE_KEY: { schema: optional, description: 'Base64 of 32 random bytes: seals service tokens in Redis' },
  INSPECT_ENABLED: {
    schema: optional,
    description:
      'The developer inspector (/inspect): 1 or true serves it, 0 or false answers 404. Unset: on under vite dev and when the issuer is a loopback host (the sandbox), off otherwise',
  },
  INSPECT_CONNECT_ORIGINS: {
    schema: optional,
    description: 'Other origins the developer inspector may call from the browser',
  },
});
