import { beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('$app/env', () => ({ dev: false }));
vi.mock('$app/env/private', async () => {
  const { CALLER_VARIABLES } = await import('#lib/server/caller-config.ts');
  const names = [
    'INSPECT_CONNECT_ORIGINS',
    'INSPECT_ENABLED',
    'M2M_PROVIDERS',
    'REDIS_URL',
    'M2M_CACHE_KEY',
    ...CALLER_VARIABLES,
  ];
  return Object.fromEntries(names.map((name) => [name, undefined]));
});
vi.mock('$app/env/public', async () => {
  const { CLIENT_VARIABLES } = await import('#lib/oauth/config.ts');
  return Object.fromEntries(CLIENT_VARIABLES.map((name) => [name, undefined]));
});
vi.mock(import('./lib/server/doctor.ts'), () => ({ diagnose: () => new Promise(() => {}), formatFindings: () => '' }));
/** Each time the CSP's connect-src is built. */
const builds: unknown[] = [];
vi.mock(import('./lib/server/csp.ts'), async (importOriginal) => {
  const actual = await importOriginal();
  return {
    connectSources: (...args: Parameters<typeof actual.connectSources>) => {
      builds.push(args);
      return actual.connectSources(...args);
    },
  };
});

const { handle, init } = await import('./hooks.server.ts');

type HandleInput = Parameters<typeof handle>[0];

function event(url: string, init: RequestInit = {}, routeId: string | null = '/api/m2m') {
  return {
    url: new URL(url),
    request: new Request(url, init),
    route: { id: routeId },
    locals: {},
  } as unknown as HandleInput['event'];
}

const page = () => new Response('<!doctype html>', { headers: { 'content-security-policy': "default-src 'self'" } });

beforeAll(async () => {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  await init();
});

describe('handle', () => {
  it('keeps nothing per Host: 5,000 different Hosts get the same CSP, built once at start-up', async () => {
    const policies = new Set<string>();
    for (let i = 0; i < 5_000; i += 1) {
      const response = await handle({
        event: event(`http://host-${i}.attacker.example/sign-in`),
        resolve: async () => page(),
      });
      policies.add(response.headers.get('content-security-policy')!);
    }
    expect(policies.size).toBe(1);
    expect([...policies][0]).toContain("connect-src 'self' http://127.0.0.1:9000 http://127.0.0.1:9100");
    expect(builds).toHaveLength(1);
  });

  it.each([
    ['a 405 from SvelteKit', () => new Response(null, { status: 405, headers: { allow: 'GET' } })],
    ['a 404 from SvelteKit', () => new Response('Not Found', { status: 404 })],
    ['a cached answer', () => new Response('{}', { headers: { 'cache-control': 'public, max-age=600' } })],
    ['immutable headers', () => Response.redirect('http://127.0.0.1:4173/elsewhere', 302)],
  ])('answers under /api/ are no-store: %s', async (_, answer) => {
    const response = await handle({
      event: event('http://127.0.0.1:4173/api/m2m', { method: 'PUT' }),
      resolve: async () => answer(),
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('redirects a trailing slash on an API route itself, no-store, without running the route', async () => {
    const resolve = vi.fn(async () => new Response('{}'));
    const response = await handle({ event: event('http://127.0.0.1:4173/api/m2m/?x=1'), resolve });
    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe('/api/m2m?x=1');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(resolve).not.toHaveBeenCalled();
  });

  it('refuses an API body whose Content-Length is over the limit with 413 JSON, before any route runs', async () => {
    const resolve = vi.fn(async () => new Response('{}'));
    const request = event('http://127.0.0.1:4173/api/m2m/fenergo/search', {
      method: 'POST',
      headers: { 'content-length': String(10 * 1024 * 1024) },
    });
    const response = await handle({ event: request, resolve });
    expect(response.status).toBe(413);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect((await response.json()).error).toBe('payload_too_large');
    expect(resolve).not.toHaveBeenCalled();
  });

  it('serves the inspector with the sandbox (a loopback issuer), and says so in the page shell', async () => {
    const shell = '<html lang="en" data-inspector="%fieldpass.inspector%">';
    const response = await handle({
      event: event('http://127.0.0.1:4173/inspect', {}, '/(app)/inspect'),
      resolve: async (_event, options) => {
        const html = await options!.transformPageChunk!({ html: shell, done: true });
        return new Response(html, { headers: { 'content-security-policy': "default-src 'self'" } });
      },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('<html lang="en" data-inspector="on">');
  });

  it('writes the partner services’ user permissions into the page shell, for the header’s Integrations link', async () => {
    const shell = '<html data-partner-scopes="%fieldpass.partners%">';
    const response = await handle({
      event: event('http://127.0.0.1:4173/', {}, '/(app)'),
      resolve: async (_event, options) => new Response(await options!.transformPageChunk!({ html: shell, done: true })),
    });
    // The sandbox's providers: fenergo needs read:customers, fenris read:assets.
    expect(await response.text()).toBe('<html data-partner-scopes="read:customers read:assets">');
  });

  it('leaves pages outside /api/ to their own caching', async () => {
    const response = await handle({
      event: event('http://127.0.0.1:4173/sign-in', {}, '/(app)/sign-in'),
      resolve: async () => page(),
    });
    expect(response.headers.get('cache-control')).toBeNull();
  });
});
