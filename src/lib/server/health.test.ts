import { describe, expect, it } from 'vitest';
import { createReadiness, healthResponse, readinessResponse } from './health.js';

const SECRET = 'canary-readiness-81f0';

describe('healthResponse', () => {
  it('is 200 {"status":"ok"}, no-store', async () => {
    const response = healthResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('readinessResponse', () => {
  it('is 200 with the names of the checks when every check passes', async () => {
    const readiness = createReadiness();
    readiness.register('configuration', () => true);
    readiness.register('redis', async () => ({ ok: true, detail: 'pong' }));
    const response = await readinessResponse(readiness);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ready', checks: ['configuration', 'redis'] });
  });

  it('is 503 naming each check that failed, threw or timed out; an error text is never shown', async () => {
    const readiness = createReadiness({ timeoutMs: 20 });
    readiness.register('configuration', () => true);
    readiness.register('redis', async () => ({ ok: false, detail: 'no answer to PING' }));
    readiness.register('queue', () => false);
    readiness.register('vault', async () => {
      throw new TypeError(`connect refused to https://user:${SECRET}@vault.internal`);
    });
    readiness.register('slow', () => new Promise<boolean>(() => {}));
    const response = await readinessResponse(readiness);
    expect(response.status).toBe(503);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toEqual({
      status: 'unavailable',
      failed: [
        { name: 'redis', ok: false, detail: 'no answer to PING' },
        { name: 'queue', ok: false },
        { name: 'vault', ok: false, detail: 'failed (TypeError)' },
        { name: 'slow', ok: false, detail: 'timed out' },
      ],
    });
  });

  it('is 200 "degraded" when only a check that is not critical fails, and 503 once a critical one fails too', async () => {
    const readiness = createReadiness();
    readiness.register('configuration', () => true);
    readiness.register('redis', () => ({ ok: false, detail: 'no answer' }), { critical: false });
    const degraded = await readinessResponse(readiness);
    expect(degraded.status).toBe(200);
    expect(await degraded.json()).toEqual({
      status: 'degraded',
      degraded: [{ name: 'redis', ok: false, detail: 'no answer', critical: false }],
    });

    readiness.register('configuration', () => false);
    const failed = await readinessResponse(readiness);
    expect(failed.status).toBe(503);
    expect((await failed.json()).failed.map((r: { name: string }) => r.name)).toEqual(['configuration', 'redis']);
  });

  it('counts a check that answers something other than true or {ok: true} as failed', async () => {
    const readiness = createReadiness();
    readiness.register('odd', () => ({ ok: 'yes' }) as unknown as boolean);
    expect((await readinessResponse(readiness)).status).toBe(503);
  });
});

describe('createReadiness', () => {
  it('runs the checks once for the questions asked within a second, then again', async () => {
    let clock = 0;
    let runs = 0;
    const readiness = createReadiness({ now: () => clock });
    readiness.register('counted', () => {
      runs += 1;
      return true;
    });
    await Promise.all([readiness.check(), readiness.check(), readiness.check()]);
    clock = 999;
    await readiness.check();
    expect(runs).toBe(1);
    clock = 1_000;
    await readiness.check();
    expect(runs).toBe(2);
  });

  it('replaces a check registered again under the same name, and forgets the last answer', async () => {
    const readiness = createReadiness();
    readiness.register('redis', () => false);
    expect((await readiness.check())[0].ok).toBe(false);
    readiness.register('redis', () => true);
    expect(await readiness.check()).toEqual([{ name: 'redis', ok: true }]);
  });
});
