import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSharedState } from './doctor.js';
import { freePort, redisServer } from './shared/redis-server.test-util.js';

const sealingKey = new Uint8Array(32);
let server: ReturnType<typeof redisServer>;

beforeAll(async () => {
  server = redisServer(await freePort());
  await server.start();
});

afterAll(() => server.stop());

describe('checkSharedState', () => {
  it('no REDIS_URL → ok, per instance', async () => {
    expect(await checkSharedState(undefined)).toMatchObject({ level: 'ok', subject: 'shared state' });
  });

  it('a Redis that answers → ok', async () => {
    expect(await checkSharedState({ url: server.url, sealingKey })).toMatchObject({ level: 'ok' });
  });

  it('nobody listening → a problem naming REDIS_URL and the host, never the password', async () => {
    const port = await freePort();
    const finding = await checkSharedState({ url: `redis://:hunter2@127.0.0.1:${port}`, sealingKey }, 300);
    expect(finding.level).toBe('problem');
    expect(finding.text).toContain('REDIS_URL');
    expect(finding.text).toContain(`127.0.0.1:${port}`);
    expect(finding.text).not.toContain('hunter2');
  });
});
