import { beforeAll, describe, expect, it, vi } from 'vitest';

// A production server for a tenant: a real (non-loopback) issuer, and INSPECT_ENABLED not set.
vi.mock('$app/env', () => ({ dev: false }));
vi.mock('$app/env/private', async () => {
  const { CALLER_VARIABLES } = await import('#lib/server/caller-config.ts');
  const names = ['INSPECT_ENABLED', 'REDIS_URL', 'M2M_CACHE_KEY', ...CALLER_VARIABLES];
  return {
    ...Object.fromEntries(names.map((name) => [name, undefined])),
    M2M_PROVIDERS: '',
    INSPECT_CONNECT_ORIGINS: 'https://login.other.example',
  };
});
vi.mock('$app/env/public', async () => {
  const { CLIENT_VARIABLES } = await import('#lib/oauth/config.ts');
  return {
    ...Object.fromEntries(CLIENT_VARIABLES.map((name) => [name, undefined])),
    PUBLIC_FENTU_ISSUER: 'https://auth.tenant.example',
    PUBLIC_FENTU_CLIENT_ID: 'fieldpass',
    PUBLIC_FENTU_API_BASE_URL: 'https://api.tenant.example',
  };
});
vi.mock(import('./lib/server/doctor.ts'), () => ({ diagnose: () => new Promise(() => {}), formatFindings: () => '' }));

const { handle, init } = await import('./hooks.server.ts');

type HandleInput = Parameters<typeof handle>[0];

const SHELL = '<html lang="en" data-inspector="%fieldpass.inspector%">';

/** The routes the hook let run. */
const resolved: string[] = [];

async function get(path: string, routeId: string) {
  return handle({
    event: {
      url: new URL(`https://fieldpass.tenant.example${path}`),
      request: new Request(`https://fieldpass.tenant.example${path}`),
      route: { id: routeId },
      locals: {},
    } as unknown as HandleInput['event'],
    resolve: async (event, options) => {
      resolved.push(event.route.id!);
      return new Response(await options!.transformPageChunk!({ html: SHELL, done: true }), {
        headers: { 'content-security-policy': "default-src 'self'" },
      });
    },
  });
}

beforeAll(async () => {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  await init();
});

describe('the inspector on a production server without INSPECT_ENABLED', () => {
  it.each(['/inspect', '/inspect/callback'])('%s answers 404; the shell says the inspector is off', async (path) => {
    const response = await get(path, `/(app)${path}`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('data-inspector="off"');
    expect(response.headers.get('content-security-policy')).not.toContain('login.other.example');
  });

  it.each(['/inspect/connect-src', '/%69nspect/connect-src'])(
    '%s answers a bare 404: the endpoint never runs',
    async (path) => {
      resolved.length = 0;
      const response = await get(path, '/(app)/inspect/connect-src');
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('origins');
      expect(resolved).toEqual([]);
    },
  );

  it('a percent-encoded /inspect is the inspector too: 404, and the CSP names no inspector origin', async () => {
    const response = await get('/%69nspect', '/(app)/inspect');
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('data-inspector="off"');
    expect(response.headers.get('content-security-policy')).not.toContain('login.other.example');
  });

  it('other pages are served, and name no inspector origin in their CSP either', async () => {
    const response = await get('/sign-in', '/(app)/sign-in');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('data-inspector="off"');
    expect(response.headers.get('content-security-policy')).toContain('https://auth.tenant.example');
    expect(response.headers.get('content-security-policy')).not.toContain('login.other.example');
  });
});
