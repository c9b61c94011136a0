import { base64url, fakeFetch, jsonResponse, jwkThumbprint, s256, TEST_SERVER } from '../oauth/fake-fetch.test-util.js';
import type { CallerConfig } from './caller-config.js';
import type { CallerDeps } from './caller.js';
import { createMemoryReplayGuard, createMemoryShortCache, type ReplayGuard } from './short-state.js';

// Fixtures for the caller checks: an authorization server with an introspection endpoint and a
// JWKS, ES256 access tokens and DPoP proofs signed here, and a fake clock.

export const AUDIENCE = 'https://api.example';
export const ROUTE_URL = 'https://app.example/api/m2m/fenergo/entities';
export const INTROSPECTION_ENDPOINT = 'https://as.example/introspect';
export const INTROSPECTION_SECRET = 'introspection-secret-canary';
export const SERVER = {
  ...TEST_SERVER,
  jwks_uri: 'https://as.example/jwks',
  introspection_endpoint: INTROSPECTION_ENDPOINT,
};

export const INTROSPECTION_CONFIG: CallerConfig = {
  tokenFormat: 'auto',
  formatChosen: false,
  introspection: { clientId: 'fieldpass-route', clientSecret: INTROSPECTION_SECRET, authMethod: 'client_secret_basic' },
};

/** A fake clock in epoch milliseconds, starting at a whole second. */
export function fakeClock(start = 1_800_000_000_000) {
  const clock = { at: start, now: () => clock.at, advance: (ms: number) => void (clock.at += ms) };
  return clock;
}

const encoder = new TextEncoder();
const part = (value: unknown) => base64url(encoder.encode(JSON.stringify(value)));

async function sign(header: object, payload: object, key: CryptoKey): Promise<string> {
  const input = `${part(header)}.${part(payload)}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, encoder.encode(input));
  return `${input}.${base64url(signature)}`;
}

export function newKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]) as Promise<CryptoKeyPair>;
}

/** A DPoP key: its public JWK, its thumbprint, and a proof maker (RFC 9449 §4.2). */
export async function dpopKey() {
  const pair = await newKeyPair();
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const jwk = { kty, crv, x, y };
  return {
    jkt: await jwkThumbprint(jwk),
    proof: async (token: string, claims: { iat: number; jti?: string; htm?: string; htu?: string }) =>
      sign(
        { typ: 'dpop+jwt', alg: 'ES256', jwk },
        {
          jti: claims.jti ?? crypto.randomUUID(),
          htm: claims.htm ?? 'GET',
          htu: claims.htu ?? ROUTE_URL,
          iat: claims.iat,
          ath: await s256(token),
        },
        pair.privateKey,
      ),
  };
}

/** An issuer signing key, its JWKS, and an RFC 9068 access token maker. */
export async function issuerKey() {
  const pair = await newKeyPair();
  const jwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  return {
    jwks: { keys: [jwk] },
    accessToken: (claims: Record<string, unknown>) =>
      sign(
        { typ: 'at+jwt', alg: 'ES256', kid: 'k1' },
        {
          iss: SERVER.issuer,
          aud: AUDIENCE,
          sub: 'user-1',
          client_id: 'fieldpass',
          jti: crypto.randomUUID(),
          scope: 'read:customers',
          ...claims,
        },
        pair.privateKey,
      ),
  };
}

/** An active introspection answer for the demo user, expiring `ttlSeconds` after `nowMs`. */
export function activeAnswer(nowMs: number, ttlSeconds: number, extra: Record<string, unknown> = {}) {
  const now = Math.floor(nowMs / 1000);
  return {
    active: true,
    sub: 'user-1',
    scope: 'read:customers',
    iss: SERVER.issuer,
    aud: AUDIENCE,
    client_id: 'fieldpass',
    token_type: 'Bearer',
    iat: now,
    exp: now + ttlSeconds,
    ...extra,
  };
}

export type Answer = (form: URLSearchParams, url: string) => Response | Promise<Response>;

/** Caller deps against a fake server whose introspection endpoint answers with `answer`. */
export function callerSetup(
  answer: Answer,
  options: { config?: CallerConfig; replay?: ReplayGuard; jwks?: unknown; clock?: ReturnType<typeof fakeClock> } = {},
) {
  const clock = options.clock ?? fakeClock();
  const { fetch, requests } = fakeFetch(async (request) => {
    if (request.url === SERVER.jwks_uri) return jsonResponse(options.jwks ?? { keys: [] });
    return answer(request.form ?? new URLSearchParams(), request.url);
  });
  const warnings: string[] = [];
  const cache = createMemoryShortCache({ now: clock.now });
  const deps: CallerDeps = {
    server: async () => SERVER,
    audience: AUDIENCE,
    config: options.config ?? INTROSPECTION_CONFIG,
    cache,
    replay: options.replay ?? createMemoryReplayGuard({ now: clock.now }),
    warn: (line) => warnings.push(line),
    fetch,
    now: clock.now,
  };
  const introspections = () => requests.filter((r) => r.url === INTROSPECTION_ENDPOINT);
  return { deps, clock, requests, introspections, warnings, cache };
}

/** A request to the route with `authorization` and, when given, a DPoP proof. */
export function routeRequest(authorization: string, dpop?: string, url = ROUTE_URL): Request {
  return new Request(url, { headers: { authorization, ...(dpop ? { dpop } : {}) } });
}
