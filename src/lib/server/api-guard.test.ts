import { describe, expect, it } from 'vitest';
import {
  BodyTooLargeError,
  bodyTooLargeResponse,
  declaresTooLarge,
  isApiPath,
  readBodyText,
  trailingSlashRedirect,
  withNoStore,
} from './api-guard.js';

/** A body sent in chunks with no Content-Length; `pulled` counts the chunks the reader asked for. */
function chunked(chunkBytes: number, chunks: number) {
  const state = { pulled: 0 };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled === chunks) return controller.close();
      state.pulled += 1;
      controller.enqueue(new Uint8Array(chunkBytes).fill(0x61));
    },
  });
  const request = new Request('http://app.test/api/m2m/p/search', {
    method: 'POST',
    body,
    duplex: 'half',
  } as RequestInit);
  return { request, state };
}

describe('isApiPath', () => {
  it.each([
    ['/api', true],
    ['/api/', true],
    ['/api/m2m/fenergo/entities', true],
    ['/apidocs', false],
    ['/', false],
    ['/inspect/api', false],
  ])('%s → %s', (path, expected) => expect(isApiPath(path)).toBe(expected));
});

describe('withNoStore', () => {
  it('sets Cache-Control: no-store, replacing what was there', () => {
    const response = withNoStore(new Response('x', { headers: { 'cache-control': 'max-age=600' } }));
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('copies a response whose headers cannot change, keeping status and body', async () => {
    const immutable = Response.redirect('http://app.test/api/m2m', 308);
    expect(() => immutable.headers.set('x', '1')).toThrow();
    const response = withNoStore(immutable);
    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe('http://app.test/api/m2m');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });
});

describe('trailingSlashRedirect', () => {
  it.each([
    ['http://app.test/api/m2m/', '/api/m2m'],
    ['http://app.test/api/m2m/fenergo/entities/?page=2', '/api/m2m/fenergo/entities?page=2'],
    ['http://app.test/api/device//', '/api/device'],
  ])('%s → 308 %s, no-store', (url, location) => {
    const response = trailingSlashRedirect(new URL(url))!;
    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe(location);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it.each(['http://app.test/api/m2m', 'http://app.test/sign-in/', 'http://app.test/'])('%s → none', (url) => {
    expect(trailingSlashRedirect(new URL(url))).toBeUndefined();
  });
});

describe('declaresTooLarge', () => {
  it.each([
    [undefined, false],
    ['100', false],
    ['101', true],
    ['10485760', true],
    ['nonsense', false],
  ])('Content-Length %s over 100 → %s', (length, expected) => {
    const headers: Record<string, string> = length === undefined ? {} : { 'content-length': length };
    expect(declaresTooLarge(new Request('http://app.test/api', { headers }), 100)).toBe(expected);
  });
});

describe('readBodyText', () => {
  it('reads a body up to the limit as UTF-8', async () => {
    const request = new Request('http://app.test/api', { method: 'POST', body: 'é'.repeat(50) });
    expect(await readBodyText(request, 100)).toBe('é'.repeat(50));
  });

  it('counts bytes, not characters', async () => {
    const request = new Request('http://app.test/api', { method: 'POST', body: 'é'.repeat(51) });
    await expect(readBodyText(request, 100)).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it('refuses a declared Content-Length over the limit without reading the body', async () => {
    const { request, state } = chunked(10, 5);
    const declared = new Request(request, { headers: { 'content-length': '10485760' } });
    await new Promise((resolve) => setTimeout(resolve, 0)); // a new stream fills its queue first
    const pulledBefore = state.pulled;
    const err = await readBodyText(declared, 1024).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BodyTooLargeError);
    expect((err as BodyTooLargeError).limit).toBe(1024);
    expect(state.pulled).toBe(pulledBefore);
  });

  it('stops reading a chunked body as soon as it passes the limit', async () => {
    const { request, state } = chunked(64 * 1024, 160); // 10 MiB offered
    const err = await readBodyText(request, 1_048_576).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BodyTooLargeError);
    expect((err as BodyTooLargeError).unbounded).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(state.pulled).toBeLessThanOrEqual(18);
    expect(request.bodyUsed).toBe(true);
  });

  it("reports the Node adapter's own 413 (BODY_SIZE_LIMIT) as too large", async () => {
    const body = new ReadableStream({
      start(controller) {
        controller.error(Object.assign(new Error('Payload Too Large'), { status: 413 }));
      },
    });
    const request = new Request('http://app.test/api', { method: 'POST', body, duplex: 'half' } as RequestInit);
    await expect(readBodyText(request, 1_048_576)).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it('passes other stream failures on as they are', async () => {
    const failure = new Error('Request closed before the body was fully received');
    const body = new ReadableStream({ start: (controller) => controller.error(failure) });
    const request = new Request('http://app.test/api', { method: 'POST', body, duplex: 'half' } as RequestInit);
    await expect(readBodyText(request, 1_048_576)).rejects.toBe(failure);
  });
});

describe('bodyTooLargeResponse', () => {
  it("is 413 in the API's error shape, no-store, naming the limit when known", async () => {
    const response = bodyTooLargeResponse(1_048_576);
    expect(response.status).toBe(413);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('connection')).toBeNull();
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await response.json();
    expect(body.error).toBe('payload_too_large');
    expect(body.error_description).toContain('1048576');
    expect(Object.keys(await bodyTooLargeResponse().json())).toEqual(['error', 'error_description']);
  });

  it('closes the connection after it only when asked (a body of no declared length)', () => {
    expect(bodyTooLargeResponse(10, { closeConnection: true }).headers.get('connection')).toBe('close');
  });
});
