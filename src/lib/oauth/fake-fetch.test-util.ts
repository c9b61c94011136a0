import { expect } from 'vitest';
import type { ServerEndpoints } from './authorization-server.js';
import { FieldpassError } from './errors.js';
import type { FetchLike } from './runtime.js';

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
}

export type Responder = (request: RecordedRequest, index: number) => Response | Promise<Response>;

/**
 * A stand-in for oauth4webapi's `customFetch` that records every request and answers from
 * `respond` (which may throw, as fetch does when a server is unreachable).
 */
export function fakeFetch(respond: Responder): { fetch: FetchLike; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const fetch: FetchLike = async (url, options) => {
    const headers = Object.fromEntries(Object.entries(options.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const body = options.body === undefined || options.body === null ? undefined : String(options.body);
    const form = headers['content-type']?.startsWith('application/x-www-form-urlencoded')
      ? new URLSearchParams(body)
      : undefined;
    const request: RecordedRequest = { url, method: options.method, headers, body, form };
    requests.push(request);
    return respond(request, requests.length - 1);
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
