import type { FetchLike } from './runtime.js';

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
