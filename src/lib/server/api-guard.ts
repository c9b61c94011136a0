import { errorResponse, ServerError } from './errors.js';

/** The server's own endpoints: `/api` and everything under it. */
export function isApiPath(pathname: string): boolean {
  return pathname === '/api' || pathname.startsWith('/api/');
}

/**
 * The response with `Cache-Control: no-store`: answers under /api/ are per caller and per request,
 * and no browser or proxy may keep one. A response with immutable headers (one passed on from
 * `fetch`) is copied first.
 */
export function withNoStore(response: Response): Response {
  try {
    response.headers.set('cache-control', 'no-store');
    return response;
  } catch {
    const headers = new Headers(response.headers);
    headers.set('cache-control', 'no-store');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}

/**
 * The redirect SvelteKit would make for a trailing slash on an API route (the routes set
 * `trailingSlash = 'ignore'` so the request reaches the `handle` hook, where this answer gets the
 * same headers as every other), or undefined when the path has none.
 */
export function trailingSlashRedirect(url: URL): Response | undefined {
  if (!isApiPath(url.pathname) || !/.\/+$/.test(url.pathname)) return undefined;
  const location = url.pathname.replace(/\/+$/, '') + (url.search === '?' ? '' : url.search);
  return new Response(null, { status: 308, headers: { location, 'cache-control': 'no-store' } });
}

/**
 * A request body over the limit: 413 with the limit when it is known. After the answer, the Node
 * adapter reads and discards the rest of a body of declared length, so a client still sending
 * receives the answer instead of a broken pipe. A body of no declared length could go on for
 * ever: the answer then closes the connection (RFC 9110 §15.5.14), and nothing more of it is read.
 */
export class BodyTooLargeError extends ServerError {
  readonly limit?: number;
  /** The body declared no length (chunked): nothing says where it ends. */
  readonly unbounded: boolean;

  constructor(limit?: number, unbounded = false) {
    const most = limit === undefined ? '' : ` Send at most ${limit} bytes.`;
    super({
      status: 413,
      code: 'payload_too_large',
      description: `The request body is too large for this server.${most}`,
      headers: unbounded ? { connection: 'close' } : {},
    });
    this.name = 'BodyTooLargeError';
    this.limit = limit;
    this.unbounded = unbounded;
  }
}

/** The 413 answer in the API's usual error shape; `closeConnection` for a body of no declared length. */
export function bodyTooLargeResponse(limit?: number, options: { closeConnection?: boolean } = {}): Response {
  return errorResponse(new BodyTooLargeError(limit, options.closeConnection));
}

/** True when the request says (Content-Length) that its body is larger than `limit` bytes. */
export function declaresTooLarge(request: Request, limit: number): boolean {
  const length = Number(request.headers.get('content-length'));
  return Number.isFinite(length) && length > limit;
}

/** adapter-node refuses a body over BODY_SIZE_LIMIT by failing the body stream with status 413. */
function isAdapterTooLarge(err: unknown): boolean {
  return (err as { status?: unknown })?.status === 413;
}

/**
 * Reads a request body as UTF-8 text, at most `limit` bytes: refused at once when Content-Length
 * says more, and reading stops as soon as a chunked body passes the limit. Throws BodyTooLargeError; a body the Node adapter itself refused is reported the same way.
 */
export async function readBodyText(request: Request, limit: number): Promise<string> {
  if (declaresTooLarge(request, limit)) throw new BodyTooLargeError(limit);
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        // Not cancelled: cancelling makes the Node adapter destroy the socket before the 413 is sent.
        reader.releaseLock();
        throw new BodyTooLargeError(limit, !request.headers.has('content-length'));
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw err;
    if (isAdapterTooLarge(err)) throw new BodyTooLargeError();
    throw err;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
