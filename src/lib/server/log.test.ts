import { describe, expect, it } from 'vitest';
import { createLogger, redact, type LogLevel } from './log.js';

const CANARY = 'canary-log-4d2e';

function capture() {
  const lines: { level: LogLevel; line: string }[] = [];
  const logger = createLogger(
    (level, line) => lines.push({ level, line }),
    () => new Date('2026-01-02T03:04:05.000Z'),
  );
  return { logger, lines, parsed: () => lines.map(({ line }) => JSON.parse(line)) };
}

describe('createLogger', () => {
  it('writes one JSON line per event: time, level, event, then the fields', () => {
    const { logger, lines, parsed } = capture();
    logger.info('startup', { metricsPort: 9464 });
    logger.error('m2m_unexpected_failure', { provider: 'fenergo' });
    expect(lines.map(({ level }) => level)).toEqual(['info', 'error']);
    expect(lines.every(({ line }) => !line.includes('\n'))).toBe(true);
    expect(parsed()).toEqual([
      { time: '2026-01-02T03:04:05.000Z', level: 'info', event: 'startup', metricsPort: 9464 },
      { time: '2026-01-02T03:04:05.000Z', level: 'error', event: 'm2m_unexpected_failure', provider: 'fenergo' },
    ]);
    expect(Object.keys(parsed()[0])).toEqual(['time', 'level', 'event', 'metricsPort']);
  });

  it('keeps its own time, level and event when a field has the same name', () => {
    const { logger, parsed } = capture();
    logger.warn('origin_unset', { level: 'info', event: 'other', time: 'never' });
    expect(parsed()[0]).toEqual({ time: '2026-01-02T03:04:05.000Z', level: 'warn', event: 'origin_unset' });
  });

  it.each([
    ['clientSecret', CANARY],
    ['access_token', CANARY],
    ['Authorization', `Bearer ${CANARY}`],
    ['headers', { authorization: `Bearer ${CANARY}`, cookie: `fp=${CANARY}` }],
    ['password', CANARY],
    ['apiKey', CANARY],
    ['x-api-key', CANARY],
    ['dpop', CANARY],
    ['nested', { deeper: { refresh_token: CANARY } }],
    ['list', [{ id_token: CANARY }]],
    ['error', new Error(`upstream said ${CANARY}`)],
  ])('never writes the value of %s', (name, value) => {
    const { logger, lines } = capture();
    logger.error('event', { [name]: value, id: 'user-1' });
    expect(lines[0].line).not.toContain(CANARY);
    expect(JSON.parse(lines[0].line).id).toBe('user-1');
  });
});

describe('redact', () => {
  it('keeps counts and flags under sensitive names, and ids and statuses as they are', () => {
    expect(redact({ tokenRequests: 3, tokenCached: true, status: 502, provider: 'fenris', sub: 'u-1' })).toEqual({
      tokenRequests: 3,
      tokenCached: true,
      status: 502,
      provider: 'fenris',
      sub: 'u-1',
    });
  });

  it('reduces an error to its name and stops at a depth of four', () => {
    expect(redact({ error: new TypeError('secret text') })).toEqual({ error: { name: 'TypeError' } });
    expect(redact({ a: { b: { c: { d: { e: 1 } } } } })).toEqual({ a: { b: { c: { d: '[nested]' } } } });
  });
});
