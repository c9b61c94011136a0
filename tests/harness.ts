import { readFileSync } from 'node:fs';
import {
  SANDBOX_FENERGO_CLIENT_ID,
  SANDBOX_FENRIS_CLIENT_ID,
  SANDBOX_INTROSPECTION_CLIENT_ID,
  SANDBOX_TENANT_ID,
} from '../src/lib/base/sandbox.js';

// Where the end-to-end tests run the app and the sandbox: ports of their own, so a running
// `npm run dev` (5173, 9000, 9100) does not get in the way.

// E2E_PORT_OFFSET moves them all, so two checkouts can run their suites side by side.
const OFFSET = Number(process.env.E2E_PORT_OFFSET ?? 0);
export const SANDBOX_PORTS = { issuer: 9010 + OFFSET, api: 9110 + OFFSET, m2m: 9210 + OFFSET } as const;
export const APP_ORIGIN = `http://127.0.0.1:${4173 + OFFSET}`;
export const ISSUER = `http://127.0.0.1:${SANDBOX_PORTS.issuer}`;
export const API_BASE_URL = `http://127.0.0.1:${SANDBOX_PORTS.api}`;
export const DEMO = { email: 'sam.okafor@fentu.example', password: 'fieldpass', name: 'Sam Okafor' } as const;
/** The sandbox's second technician, for a tablet two people share. */
export const SECOND = { email: 'ana.reyes@fentu.example', password: 'fieldpass', name: 'Ana Reyes' } as const;
export const M2M_BASE_URL = `http://127.0.0.1:${SANDBOX_PORTS.m2m}`;
export const TENANT_ID = SANDBOX_TENANT_ID;

/** Client secrets the tests give the sandbox, the app and its build, then search for where they must not be. */
export const CANARY: {
  fenergoSecret: string;
  fenrisSecret: string;
  introspectionSecret: string;
  cacheKey: string;
  redisPassword: string;
} = JSON.parse(readFileSync(new URL('./canaries.json', import.meta.url), 'utf8'));

/** The bearer token that reads /metrics on the app's port in the tests (METRICS_TOKEN). */
export const METRICS_TOKEN = 'e2e-metrics-token-5b1f0c9a7d3e4f6a8b2c1d0e9f8a7b6c';

/** The app's machine-to-machine configuration in the tests, as M2M_* variables. */
export const M2M_ENV: Record<string, string> = {
  M2M_PROVIDERS: 'fenergo fenris',
  M2M_FENERGO_TOKEN_URL: `${ISSUER}/token`,
  M2M_FENERGO_AUTH_METHOD: 'client_secret_post',
  M2M_FENERGO_CLIENT_ID: SANDBOX_FENERGO_CLIENT_ID,
  M2M_FENERGO_CLIENT_SECRET: CANARY.fenergoSecret,
  M2M_FENERGO_SCOPE: `fenx.entitydata.read fenx.journey.read tenant/${TENANT_ID}`,
  M2M_FENERGO_SCOPE_RULES: 'fenergo',
  M2M_FENERGO_TENANT_ID: TENANT_ID,
  M2M_FENERGO_API_BASE_URL: M2M_BASE_URL,
  M2M_FENERGO_ALLOW: 'GET /entities, GET /journeys, GET /redirect-out',
  M2M_FENERGO_USER_SCOPE: 'read:customers',
  M2M_FENRIS_TOKEN_URL: `${ISSUER}/token`,
  M2M_FENRIS_AUTH_METHOD: 'client_secret_basic',
  M2M_FENRIS_CLIENT_ID: SANDBOX_FENRIS_CLIENT_ID,
  M2M_FENRIS_CLIENT_SECRET: CANARY.fenrisSecret,
  M2M_FENRIS_API_BASE_URL: M2M_BASE_URL,
  M2M_FENRIS_ALLOW: 'GET /policies',
  M2M_FENRIS_USER_SCOPE: 'read:assets',
  // The route tests send hundreds of calls with one user's token; the per-user limit has its own test.
  M2M_USER_RATE_LIMIT: '100000/60s',
};

/** The partner route's introspection client (RFC 7662) at the sandbox: opaque tokens are introspected, JWTs checked locally. */
export const INTROSPECTION_ENV: Record<string, string> = {
  FENTU_INTROSPECTION_CLIENT_ID: SANDBOX_INTROSPECTION_CLIENT_ID,
  FENTU_INTROSPECTION_CLIENT_SECRET: CANARY.introspectionSecret,
};
