// Token renewal that no page gesture can cut in half: with the service worker in control, the
// worker performs the refresh and stores the rotated token set inside its own event lifetime, so a
// reload (or a closed tab) while the answer is on its way loses nothing. Against the sandbox,
// which rotates refresh tokens and revokes the whole grant when a spent one comes back.

import type { BrowserContext } from '@playwright/test';
import { ISSUER } from './harness';
import {
  configureSandbox,
  expect,
  holdsFor,
  sandboxStats,
  serviceWorkerInControl,
  signIn,
  signedInHeading,
  storedSession,
  test,
} from './fixtures';

const isRefresh = (body: string | null) => new URLSearchParams(body ?? '').get('grant_type') === 'refresh_token';

/**
 * Holds the answer to the next refresh: the request reaches the sandbox (which rotates the refresh
 * token at once), and its answer is handed on only when `release` is called.
 */
async function holdNextRefreshAnswer(context: BrowserContext) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const atServer = new Promise<void>((resolve) => (reached = resolve));
  let held = false;
  await context.route(`${ISSUER}/token`, async (route) => {
    if (held || !isRefresh(route.request().postData())) return route.fallback();
    held = true;
    const response = await route.fetch();
    reached();
    await released;
    await route.fulfill({ response }).catch(() => undefined);
  });
  return { atServer, release };
}

test.describe('with the service worker in control', () => {
  test.use({ serviceWorkers: 'allow' });

  test('a reload while the refresh answer is on its way: the worker stores the rotated tokens; no reuse, still signed in', async ({
    page,
    context,
    request,
  }) => {
    await page.goto('/');
    await serviceWorkerInControl(page);
    await configureSandbox(request, { accessTokenTtl: 6 });
    await signIn(page);
    await expect(signedInHeading(page)).toBeVisible();
    const before = await sandboxStats(request);
    const signedInWith = (await storedSession(page))?.refresh_token;

    // The refresh is sent (by the worker) once the token is due; the server rotates, and the page
    // is reloaded before the answer arrives.
    const hold = await holdNextRefreshAnswer(context);
    await hold.atServer;
    // The page that asked is gone before the answer arrives.
    await page.reload();
    hold.release();

    await expect(signedInHeading(page)).toBeVisible();
    await expect.poll(async () => (await storedSession(page))?.refresh_token).not.toBe(signedInWith);
    // The reloaded page found the token set fresh (or waited for the worker's refresh): nothing was
    // presented twice, and the session lives on.
    await holdsFor(2_000, async () => {
      const now = await sandboxStats(request);
      expect(now.token.refresh.reuseDetected - before.token.refresh.reuseDetected).toBe(0);
      expect(now.token.refresh.rejected - before.token.refresh.rejected).toBe(0);
    });
    const after = await sandboxStats(request);
    expect(after.token.refresh.succeeded - before.token.refresh.succeeded).toBeGreaterThanOrEqual(1);
    await expect(signedInHeading(page)).toBeVisible();
    await expect(page.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible();
  });

  for (const cut of [false, true]) {
    test(
      cut
        ? 'a storm with the signal lost during every other refresh: offline gestures, no reuse, still signed in everywhere'
        : 'a storm: five tabs through ten token lifetimes, reloaded, closed, reopened and navigated while refreshes are in flight',
      async ({ page, context, request }) => {
        test.setTimeout(150_000);
        await page.goto('/');
        await serviceWorkerInControl(page);
        await configureSandbox(request, { accessTokenTtl: 4 });
        await signIn(page);
        await expect(signedInHeading(page)).toBeVisible();
        const tabs = [page];
        for (let i = 0; i < 4; i += 1) {
          const tab = await context.newPage();
          await tab.goto('/');
          await expect(signedInHeading(tab)).toBeVisible();
          tabs.push(tab);
        }

        // Every refresh answer is held until a gesture has landed in one of the tabs: a reload, a
        // close and reopen, or a full-page navigation to the inspector and back.
        let gestures = 0;
        const gesture = async () => {
          const index = gestures % tabs.length;
          const kind = gestures % 3;
          gestures += 1;
          if (kind === 0) await tabs[index].reload();
          else if (kind === 1) {
            await tabs[index].close();
            tabs[index] = await context.newPage();
            await tabs[index].goto('/');
          } else {
            await tabs[index].goto('/inspect');
            await tabs[index].goto('/');
          }
        };
        let queue = Promise.resolve();
        let refreshRequests = 0;
        await context.route(`${ISSUER}/token`, async (route) => {
          if (!isRefresh(route.request().postData())) return route.fallback();
          refreshRequests += 1;
          if (cut && refreshRequests % 2 === 1) {
            // The signal goes as the request leaves: it never reaches the server. The gesture
            // happens offline, and the signal comes back a moment later.
            await context.setOffline(true);
            await route.abort('internetdisconnected');
            queue = queue
              .then(gesture, gesture)
              .then(() => new Promise<void>((resolve) => setTimeout(resolve, 1_000)))
              .finally(() => context.setOffline(false));
            return;
          }
          const response = await route.fetch();
          queue = queue.then(gesture, gesture);
          await queue;
          await route.fulfill({ response }).catch(() => undefined);
        });

        const before = await sandboxStats(request);
        const started = Date.now();
        await expect
          .poll(async () => (await sandboxStats(request)).token.refresh.succeeded - before.token.refresh.succeeded, {
            timeout: 120_000,
          })
          .toBeGreaterThanOrEqual(10);
        await queue;
        const elapsed = Date.now() - started;
        await context.unroute(`${ISSUER}/token`);

        for (const tab of tabs) await expect(signedInHeading(tab)).toBeVisible();
        const after = await sandboxStats(request);
        expect(gestures).toBeGreaterThanOrEqual(10);
        if (cut)
          expect(
            refreshRequests - (after.token.refresh.succeeded - before.token.refresh.succeeded),
          ).toBeGreaterThanOrEqual(5);
        expect(after.token.refresh.reuseDetected - before.token.refresh.reuseDetected).toBe(0);
        expect(after.token.refresh.rejected - before.token.refresh.rejected).toBe(0);
        // A token is renewed when half its 4-second life is left: at most one refresh per 2 seconds
        // for the whole browser, however many tabs are open.
        const refreshes = after.token.refresh.succeeded - before.token.refresh.succeeded;
        expect(refreshes).toBeLessThanOrEqual(Math.ceil(elapsed / 2_000) + 1);
      },
    );
  }
});

test('without a service worker the page refreshes itself, under the lock shared by its tabs', async ({
  page,
  context,
  request,
}) => {
  expect(await page.evaluate(() => navigator.serviceWorker?.controller ?? null)).toBeNull();
  await configureSandbox(request, { accessTokenTtl: 4 });
  await signIn(page);
  await expect(signedInHeading(page)).toBeVisible();
  const second = await context.newPage();
  await second.goto('/');
  await expect(signedInHeading(second)).toBeVisible();
  const refreshes: string[] = [];
  context.on('request', (r) => {
    if (r.url() === `${ISSUER}/token` && isRefresh(r.postData())) refreshes.push(r.frame().page().url());
  });
  const before = await sandboxStats(request);
  await expect
    .poll(async () => (await sandboxStats(request)).token.refresh.succeeded, { timeout: 15_000 })
    .toBeGreaterThan(before.token.refresh.succeeded);
  expect(refreshes.length).toBeGreaterThanOrEqual(1);
  expect((await sandboxStats(request)).token.refresh.reuseDetected).toBe(before.token.refresh.reuseDetected);
  await expect(signedInHeading(page)).toBeVisible();
  await expect(signedInHeading(second)).toBeVisible();
});
