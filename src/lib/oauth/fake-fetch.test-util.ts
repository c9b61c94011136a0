import { expect } from 'vitest';
import type { ServerEndpoints } from './authorization-server.js';
import { FieldpassError } from '../base/errors.js';
import type { FetchLike } from '../base/http.js';

/** An authorization server that advertises RFC 9207 `iss`, with a revocation endpoint. */
export const TEST_SERVER: ServerEndpoints = {
  issuer: 'https://as.example',
  authorization_endpoint: 'https://as.example/authorize',
  token_endpoint: 'https://as.example/token',
  revocation_endpoint: 'https://as.example/revoke',
  authorization_response_iss_parameter_supported: true,
};

/** The FieldpassError a promise rejects with; fails the test if it resolves or rejects otherwise. */
export async function rejectionOf(promise: Promise<unknown>): Promise<FieldpassError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FieldpassError);
  return err as FieldpassError;
}

/** One request the core made, as the fake server saw it. Header names are lower-case. */
export interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** The body read as a form, when it was sent as one. */
  form: URLSearchParams | undefined;
  /** The fetch options `mode` and `credentials`, when the caller set them. */
  mode?: string;
  credentials?: string;
}

export type Responder = (request: RecordedRequest, index: number) => Response | Promise<Response>;

/**
 * A stand-in for oauth4webapi's `customFetch` that records every request and answers from
 * `respond` (which may throw, as fetch does when a server is unreachable). Like fetch, it rejects
 * with the signal's reason when the request's timeout fires first, so a `respond` that never
 * settles is a server that never answers.
 */
export function fakeFetch(respond: Responder): { fetch: FetchLike; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const fetch: FetchLike = async (url, options) => {
    const headers = Object.fromEntries(Object.entries(options.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const body = options.body === undefined || options.body === null ? undefined : String(options.body);
    const form = headers['content-type']?.startsWith('application/x-www-form-urlencoded')
      ? new URLSearchParams(body)
      : undefined;
    const { mode, credentials } = options as RequestInit;
    const request: RecordedRequest = { url, method: options.method, headers, body, form };
    if (mode) request.mode = mode;
    if (credentials) request.credentials = credentials;
    const index = requests.push(request) - 1;
    const answer = Promise.resolve().then(() => respond(request, index));
    const signal = options.signal;
    if (!signal) return answer;
    return Promise.race([
      answer,
      new Promise<never>((_resolve, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]);
  };
  return { fetch, requests };
}

/** A JSON response, as a token endpoint or API sends it. */
export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** The form parameters of a request, for exact comparison. */
export function formOf(request: RecordedRequest): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [key, value] of request.form ?? []) (result[key] ??= []).push(value);
  return result;
}

/** TEST_SERVER, also accepting ES256 DPoP proofs (RFC 9449 §5.1). */
export const DPOP_SERVER: ServerEndpoints = { ...TEST_SERVER, dpop_signing_alg_values_supported: ['ES256'] };

/** BASE64URL without padding (RFC 7515 §2), computed here rather than through oauth4webapi. */
export function base64url(bytes: ArrayBuffer | Uint8Array): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** BASE64URL(SHA-256(text)): the PKCE S256 challenge (RFC 7636 §4.2) and the DPoP `ath` (RFC 9449 §4.2). */
export async function s256(text: string): Promise<string> {
  return base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** The RFC 7638 thumbprint of an EC public JWK: SHA-256 of its required members in lexical order. */
export async function jwkThumbprint(jwk: JsonWebKey): Promise<string> {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical)));
}

/** The thumbprint of the public half of a stored key pair. */
export async function keyPairThumbprint(pair: CryptoKeyPair): Promise<string> {
  return jwkThumbprint(await crypto.subtle.exportKey('jwk', pair.publicKey));
}

/** One decoded JSON part of a compact JWS (0: header, 1: payload); the signature is not checked. */
export function jwtPart<T = Record<string, unknown>>(jwt: string, index: 0 | 1): T {
  return JSON.parse(new TextDecoder().decode(fromBase64url(jwt.split('.')[index]))) as T;
}

/** A decoded DPoP proof (RFC 9449 §4.2). */
export interface DpopProof {
  header: { typ?: string; alg?: string; jwk?: JsonWebKey & Record<string, unknown> } & Record<string, unknown>;
  payload: {
    jti?: string;
    htm?: string;
    htu?: string;
    iat?: number;
    ath?: string;
    nonce?: string;
  } & Record<string, unknown>;
}

/**
 * Decodes the `DPoP` header of a request and checks its ES256 signature with the public key in
 * the proof's own header, as a server does (RFC 9449 §4.3); fails the test when it does not verify.
 */
export async function proofOf(request: Pick<RecordedRequest, 'headers'>): Promise<DpopProof> {
  const jwt = request.headers.dpop;
  expect(jwt, 'the request has a DPoP header').toEqual(expect.any(String));
  const parts = jwt.split('.');
  expect(parts).toHaveLength(3);
  const header = jwtPart<DpopProof['header']>(jwt, 0);
  const payload = jwtPart<DpopProof['payload']>(jwt, 1);
  const key = await crypto.subtle.importKey('jwk', header.jwk!, { name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'verify',
  ]);
  const signed = await crypto.subtle.verify(
    { name: 'ECDSA', hash: 'SHA-256' },
    key,
    fromBase64url(parts[2]),
    new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
  );
  expect(signed, 'the proof is signed by the key in its header').toBe(true);
  return { header, payload };
}

/** A token endpoint asking for a DPoP nonce: 400 `use_dpop_nonce` with a `DPoP-Nonce` header (RFC 9449 §8). */
export function tokenNonceError(nonce: string): Response {
  return jsonResponse({ error: 'use_dpop_nonce', error_description: 'a nonce is required' }, 400, {
    'dpop-nonce': nonce,
  });
}

/** A resource server asking for a DPoP nonce: 401 with a DPoP `use_dpop_nonce` challenge (RFC 9449 §9). */
export function resourceNonceError(nonce: string): Response {
  return new Response(null, {
    status: 401,
    headers: {
      'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce"',
      'dpop-nonce': nonce,
    },
  });
}
