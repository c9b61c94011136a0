import {
  SANDBOX_FENERGO_CLIENT_ID,
  SANDBOX_FENERGO_SECRET,
  SANDBOX_FENRIS_CLIENT_ID,
  SANDBOX_FENRIS_SECRET,
  SANDBOX_ISSUER,
  SANDBOX_M2M_BASE_URL,
  SANDBOX_TENANT_ID,
} from '../base/sandbox.js';
import type { M2mEnv } from './m2m-config.js';

/**
 * The machine-to-machine providers of the local sandbox (`npm run dev`), used when M2M_PROVIDERS is
 * unset and the app itself runs against the sandbox. The secrets are the sandbox's own, not real.
 */
export const SANDBOX_M2M_ENV: M2mEnv = {
  M2M_PROVIDERS: 'fenergo fenris',
  M2M_FENERGO_TOKEN_URL: `${SANDBOX_ISSUER}/token`,
  M2M_FENERGO_AUTH_METHOD: 'client_secret_post',
  M2M_FENERGO_CLIENT_ID: SANDBOX_FENERGO_CLIENT_ID,
  M2M_FENERGO_CLIENT_SECRET: SANDBOX_FENERGO_SECRET,
  M2M_FENERGO_SCOPE: `fenx.entitydata.read fenx.journey.read tenant/${SANDBOX_TENANT_ID}`,
  M2M_FENERGO_SCOPE_RULES: 'fenergo',
  M2M_FENERGO_TENANT_ID: SANDBOX_TENANT_ID,
  M2M_FENERGO_API_BASE_URL: SANDBOX_M2M_BASE_URL,
  M2M_FENERGO_ALLOW: 'GET /entities, GET /journeys',
  M2M_FENERGO_USER_SCOPE: 'read:customers',
  M2M_FENRIS_TOKEN_URL: `${SANDBOX_ISSUER}/token`,
  M2M_FENRIS_AUTH_METHOD: 'client_secret_basic',
  M2M_FENRIS_CLIENT_ID: SANDBOX_FENRIS_CLIENT_ID,
  M2M_FENRIS_CLIENT_SECRET: SANDBOX_FENRIS_SECRET,
  M2M_FENRIS_API_BASE_URL: SANDBOX_M2M_BASE_URL,
  M2M_FENRIS_ALLOW: 'GET /policies',
  M2M_FENRIS_USER_SCOPE: 'read:assets',
};
