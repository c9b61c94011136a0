import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Session } from '../oauth/session.js';
import { CALLBACK_MESSAGE, callbackInWorker, TAB_KEY, type EarlyCallback } from './callback-messages.js';

const SESSION = { access_token: 'at-1' } as Session;
const URL = 'https://app.example/callback?code=abc&state=s1';

/** What app.html's inline script leaves, with handles to play the worker's part. */
function early() {
  let accept!: () => void;
  let answer!: (reply: Awaited<EarlyCallback['answer']>) => void;
  const handoff: EarlyCallback = {
    url: URL,
    accepted: new Promise((resolve) => (accept = resolve)),
    answer: new Promise((resolve) => (answer = resolve)),
  };
  return { handoff, accept, answer };
}

describe('callbackInWorker', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("hands back the worker's stored sign-in and when it was stored; nothing runs in the page", async () => {
    const { handoff, accept, answer } = early();
    const inPage = vi.fn();
    accept();
    answer({ done: true, session: SESSION, returnTo: '/jobs', storedAt: 1234 });
    await expect(callbackInWorker(handoff, inPage)).resolves.toEqual({
      session: SESSION,
      returnTo: '/jobs',
      storedAt: 1234,
    });
    expect(inPage).not.toHaveBeenCalled();
  });

  it("turns the worker's failure back into the same error", async () => {
    const { handoff, accept, answer } = early();
    accept();
    answer({ failed: { code: 'STATE_UNKNOWN', message: 'Started in another tab', details: {} } });
    await expect(callbackInWorker(handoff, vi.fn())).rejects.toMatchObject({
      name: 'FieldpassError',
      code: 'STATE_UNKNOWN',
    });
  });

  it('finishes in the page when the worker in control never takes the message (an older version)', async () => {
    const { handoff } = early();
    const inPage = vi.fn().mockResolvedValue({ session: SESSION, returnTo: '/' });
    const finishing = callbackInWorker(handoff, inPage);
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(finishing).resolves.toEqual({ session: SESSION, returnTo: '/' });
    expect(inPage).toHaveBeenCalledOnce();
  });

  it('never finishes in the page once the worker has taken the message, even if it goes silent', async () => {
    const { handoff, accept } = early();
    const inPage = vi.fn();
    accept();
    const finishing = callbackInWorker(handoff, inPage);
    const failed = expect(finishing).rejects.toMatchObject({ code: 'UNEXPECTED' });
    await vi.advanceTimersByTimeAsync(60_000);
    await failed;
    expect(inPage).not.toHaveBeenCalled();
  });
});

describe("app.html's inline script", () => {
  const html = readFileSync(new globalThis.URL('../../app.html', import.meta.url), 'utf8');

  it('uses the names the app and the worker use', () => {
    expect(html).toContain(`sessionStorage.getItem('${TAB_KEY}')`);
    expect(html).toContain(`type: '${CALLBACK_MESSAGE}'`);
  });

  it('carries the page nonce, so the Content-Security-Policy lets it run', () => {
    expect(html).toMatch(/<script nonce="%sveltekit\.nonce%">/);
  });
});
