// Offline work: lists kept on the device per user, and new work orders queued in IndexedDB and sent
// in order, exactly once, when the device is back online — seen in the browser and at the sandbox.
// (Service workers are blocked in these tests, as in most specs, so pages are loaded while online and
// the offline behaviour is exercised on pages already open; tests/offline-app.spec.ts opens the app
// itself offline.)

import type { APIRequestContext, Page } from '@playwright/test';
import {
  appRecords,
  configureSandbox,
  expect,
  presentRefreshTokenFromApp,
  recordNames,
  recordTokenResponses,
  sandboxStats,
  signIn,
  signInToHome,
  test,
} from './fixtures';
import { API_BASE_URL, ISSUER, SECOND } from './harness';

interface OrderStats {
  created: number;
  replayed: number;
  keyReused: number;
}

/** POST /work-orders counters: orders created, and answers replayed for a repeated Idempotency-Key. */
async function orderStats(request: APIRequestContext): Promise<OrderStats> {
  const stats = (await sandboxStats(request)) as unknown as { api: { workOrders: OrderStats } };
  return stats.api.workOrders;
}

/** The work orders the API holds, read with a token the sandbox mints for the demo user. */
async function apiWorkOrders(request: APIRequestContext): Promise<Array<{ id: string; title: string }>> {
  const minted = await request.post(`${ISSUER}/__sandbox/user-token`, { data: { scope: 'read:work-orders' } });
  const { access_token } = (await minted.json()) as { access_token: string };
  const response = await request.get(`${API_BASE_URL}/work-orders`, {
    headers: { authorization: `Bearer ${access_token}` },
  });
  expect(response.status()).toBe(200);
  return ((await response.json()) as { data: Array<{ id: string; title: string }> }).data;
}

const panel = (page: Page, name: string) => page.getByRole('region', { name });
const outboxItems = (page: Page) => page.getByTestId('outbox-item');
const outboxItem = (page: Page, title: string) => outboxItems(page).filter({ hasText: title });

async function signInReady(page: Page) {
  await signInToHome(page, { tick: ['write:work-orders'] });
  // The customer list feeds the form's customer choice.
  await expect(page.getByRole('cell', { name: 'Harbourside Medical Centre' })).toBeVisible();
}

/** What the form says once an order is taken: online, it may already be sent by the time the check looks. */
const SAVED = /^Saved on this device/;
const TAKEN_ONLINE = /^(Saved on this device\. Sending it to Fentu now\.|Sent to Fentu as WO-\d+\.)$/;

async function createWorkOrder(page: Page, title: string, saved = SAVED) {
  const form = panel(page, 'New work order');
  await form.getByLabel('Job title').fill(title);
  await form.getByLabel('Customer', { exact: true }).selectOption({ label: 'Harbourside Medical Centre' });
  await form.getByRole('button', { name: 'Save work order' }).click();
  await expect(form.getByRole('status')).toHaveText(saved);
  await expect(outboxItem(page, title)).toBeVisible();
}

const uniqueTag = () => Math.random().toString(36).slice(2, 8);

test(
  'offline, the lists fetched last stay on screen, marked with when they were fetched',
  { tag: '@device' },
  async ({ context, page }) => {
    await signInReady(page);
    await expect(page.getByRole('cell', { name: 'Chiller', exact: true })).toBeVisible();
    // One saved list per API list, under names that do not carry the user's id in the clear.
    await expect.poll(() => recordNames(page, 'cache:')).toHaveLength(3);
    expect((await recordNames(page, 'cache:')).join(' ')).not.toContain('tech-0042');

    await context.setOffline(true);
    const workOrders = panel(page, 'Work orders');
    await workOrders.getByRole('button', { name: 'Reload' }).click();

    await expect(workOrders.getByTestId('saved-list')).toContainText(
      /Offline — showing work orders fetched (today|yesterday) \d/,
    );
    await expect(workOrders.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible();
    await expect(workOrders.getByRole('heading', { name: 'Fentu could not be reached' })).toHaveCount(0);

    // A new page load whose list cannot be fetched shows the list saved on this device at once.
    await context.setOffline(false);
    await page.route(`${API_BASE_URL}/work-orders`, (route) =>
      route.request().method() === 'GET' ? route.abort('internetdisconnected') : route.fallback(),
    );
    await page.reload();
    await expect(workOrders.getByTestId('saved-list')).toContainText(
      /Cannot reach Fentu — showing work orders fetched (today|yesterday) \d/,
    );
    await expect(workOrders.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible();
    // The lists that can be fetched are fresh, with no saved-list line.
    await expect(panel(page, 'Customers').getByTestId('saved-list')).toHaveCount(0);
    await expect(panel(page, 'Customers').getByRole('cell', { name: 'Harbourside Medical Centre' })).toBeVisible();
  },
);

test(
  'three orders created offline survive closing the app and are sent in order, exactly once',
  { tag: '@device' },
  async ({ context, page, request }) => {
    await signInReady(page);
    const tag = uniqueTag();
    const titles = [1, 2, 3].map((n) => `Offline ${tag} #${n}`);
    const before = await orderStats(request);

    await context.setOffline(true);
    for (const title of titles) await createWorkOrder(page, title);
    await expect(page.getByText('Saved on this device. It will be sent when you are back online.')).toBeVisible();
    for (const title of titles) {
      await expect(outboxItem(page, title).getByTestId('outbox-status')).toHaveText('Waiting to be sent (offline)');
    }
    expect(await recordNames(page, 'outbox:')).toHaveLength(3);
    expect((await orderStats(request)).created).toBe(before.created);

    await page.close();
    await context.setOffline(false);
    const reopened = await context.newPage();
    await reopened.goto('/');

    for (const title of titles) {
      await expect(outboxItem(reopened, title).getByTestId('outbox-status')).toHaveText(/^Sent as WO-\d+$/, {
        timeout: 15_000,
      });
    }
    const after = await orderStats(request);
    expect(after.created - before.created).toBe(3);
    expect(after.replayed - before.replayed).toBe(0);
    // At the API: each order once, in the order they were created, under the ids the app shows.
    const ours = (await apiWorkOrders(request)).filter((order) => order.title.includes(tag));
    expect(ours.map((order) => order.title)).toEqual(titles);
    for (const order of ours) {
      await expect(outboxItem(reopened, order.title).getByTestId('outbox-status')).toHaveText(`Sent as ${order.id}`);
    }
    expect(ours.map((order) => Number(order.id.slice(3)))).toEqual(
      ours.map((order) => Number(order.id.slice(3))).sort((a, b) => a - b),
    );
    // The work orders list reloaded with them.
    await expect(panel(reopened, 'Work orders').getByRole('link', { name: titles[2] })).toBeVisible();
  },
);

test('an answer lost on the way back: the retry carries the same Idempotency-Key and the order exists once', async ({
  page,
  request,
}) => {
  await signInReady(page);
  const title = `Lost answer ${uniqueTag()}`;
  const keys: string[] = [];
  let dropped = false;
  await page.route(`${API_BASE_URL}/work-orders`, async (route) => {
    if (route.request().method() !== 'POST') return route.fallback();
    keys.push((await route.request().headerValue('idempotency-key')) ?? 'none');
    // The server creates the order; the connection drops before its answer reaches the app.
    const response = await route.fetch();
    if (dropped || response.status() !== 201) return route.fulfill({ response });
    dropped = true;
    return route.abort('connectionreset');
  });
  const before = await orderStats(request);

  await createWorkOrder(page, title);

  await expect(outboxItem(page, title).getByTestId('outbox-status')).toHaveText(/^Sent as WO-\d+$/, {
    timeout: 20_000,
  });
  expect(dropped).toBe(true);
  expect(keys).toHaveLength(2);
  expect(keys[0]).toMatch(/^"[0-9a-f-]{36}"$/);
  expect(keys[1]).toBe(keys[0]);
  const after = await orderStats(request);
  expect(after.created - before.created).toBe(1);
  expect(after.replayed - before.replayed).toBe(1);
  const ours = (await apiWorkOrders(request)).filter((order) => order.title === title);
  expect(ours).toHaveLength(1);
  await expect(outboxItem(page, title).getByTestId('outbox-status')).toHaveText(`Sent as ${ours[0].id}`);
  // The note under the form follows the order: it no longer says it is being sent.
  await expect(panel(page, 'New work order').getByRole('status')).toHaveText(`Sent to Fentu as ${ours[0].id}.`);
});

test('an order the server refuses says why, the next one still goes, and an edit sends it', async ({
  context,
  page,
  request,
}) => {
  await signInReady(page);
  const tag = uniqueTag();
  const refused = `Refused ${tag}`;
  const fine = `Fine ${tag}`;
  // The customer is deleted at the server before the order arrives: the sandbox keeps its
  // customers fixed, so the request is rewritten to name one it does not know.
  await page.route(`${API_BASE_URL}/work-orders`, (route) => {
    const body = route.request().postData();
    if (route.request().method() !== 'POST' || !body?.includes(refused)) return route.fallback();
    return route.fallback({ postData: JSON.stringify({ ...JSON.parse(body), customerId: 'CUS-0000' }) });
  });
  const before = await orderStats(request);

  await context.setOffline(true);
  await createWorkOrder(page, refused);
  await createWorkOrder(page, fine);
  await context.setOffline(false);

  await expect(outboxItem(page, refused).getByTestId('outbox-status')).toHaveText(
    'Not sent: customerId must name a known customer',
  );
  await expect(outboxItem(page, fine).getByTestId('outbox-status')).toHaveText(/^Sent as WO-\d+$/);

  // Edit the refused order (another customer, a clearer title) and send it again.
  const item = outboxItem(page, refused);
  await item.getByRole('button', { name: 'Edit' }).click();
  await item.getByLabel('Customer', { exact: true }).selectOption({ label: 'Northgate Primary School' });
  await item.getByLabel('Job title').fill(`Edited ${tag}`);
  await item.getByRole('button', { name: 'Save and send' }).click();
  await expect(outboxItem(page, `Edited ${tag}`).getByTestId('outbox-status')).toHaveText(/^Sent as WO-\d+$/);

  const after = await orderStats(request);
  expect(after.created - before.created).toBe(2);
  const ours = (await apiWorkOrders(request)).filter((order) => order.title.includes(tag));
  expect(ours.map((order) => order.title)).toEqual([fine, `Edited ${tag}`]);
});

test(
  'sign-out asks first when orders are unsent, then leaves no saved lists or queued orders',
  { tag: '@device' },
  async ({ context, page }) => {
    await signInReady(page);
    await expect.poll(() => recordNames(page, 'cache:')).toHaveLength(3);
    await context.setOffline(true);
    await createWorkOrder(page, `Unsent ${uniqueTag()}`);
    expect(await recordNames(page, 'outbox:')).toHaveLength(1);

    await page.getByRole('button', { name: 'Sign out' }).click();
    const dialog = page.getByRole('dialog', { name: '1 work order has not been sent' });
    await expect(dialog).toBeVisible();
    await dialog.getByRole('button', { name: 'Stay signed in' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    expect(await recordNames(page, 'outbox:')).toHaveLength(1);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await dialog.getByRole('button', { name: 'Sign out and delete 1 unsent work order' }).click();

    await expect(page.getByText('You are signed out on this device')).toBeVisible();
    // Offline, only the sealed revocation waits on the device, to tell Fentu once it can be reached.
    expect(Object.keys(await appRecords(page))).toEqual(['revocations']);
  },
);

test(
  'the app closed while sign-out is still telling the server leaves no saved lists or queued orders behind',
  { tag: '@device' },
  async ({ context, page }) => {
    await signInReady(page);
    await expect.poll(() => recordNames(page, 'cache:')).toHaveLength(3);
    // The order cannot get through, so it is still waiting at sign-out.
    await page.route(`${API_BASE_URL}/work-orders`, (route) =>
      route.request().method() === 'POST' ? route.abort('connectionreset') : route.fallback(),
    );
    await createWorkOrder(page, `Unsent ${uniqueTag()}`);
    // A revocation endpoint that never answers: the technician closes the app mid-sign-out.
    let revocationRequests = 0;
    await page.route(`${ISSUER}/revoke`, () => void (revocationRequests += 1));

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page
      .getByRole('dialog', { name: '1 work order has not been sent' })
      .getByRole('button', { name: 'Sign out and delete 1 unsent work order' })
      .click();
    await expect.poll(() => revocationRequests).toBeGreaterThan(0);
    await expect.poll(() => appRecords(page)).toEqual({});
    await page.close();

    const reopened = await context.newPage();
    await reopened.goto('/');
    await expect(reopened.getByRole('link', { name: 'Sign in' }).first()).toBeVisible();
    expect(await appRecords(reopened)).toEqual({});
  },
);

test('two open tabs: both show the queue as it changes, and coming back online sends each order once', async ({
  context,
  page,
  request,
}) => {
  await signInReady(page);
  const other = await context.newPage();
  await other.goto('/');
  await expect(other.getByRole('cell', { name: 'Harbourside Medical Centre' })).toBeVisible();
  const titles = [`Two tabs ${uniqueTag()} #1`, `Two tabs ${uniqueTag()} #2`];

  await context.setOffline(true);
  for (const title of titles) await createWorkOrder(page, title);
  for (const title of titles) {
    await expect(outboxItem(other, title).getByTestId('outbox-status')).toHaveText('Waiting to be sent (offline)');
  }
  const before = await orderStats(request);

  // Both tabs see the network come back and both try to send: the shared lock lets one send each order.
  await context.setOffline(false);

  for (const tab of [page, other]) {
    for (const title of titles) {
      await expect(outboxItem(tab, title).getByTestId('outbox-status')).toHaveText(/^Sent as WO-\d+$/);
    }
  }
  const after = await orderStats(request);
  expect(after.created - before.created).toBe(2);
  expect(after.replayed - before.replayed).toBe(0);
  const ours = (await apiWorkOrders(request)).filter((order) => titles.includes(order.title));
  expect(ours.map((order) => order.title)).toEqual(titles);
});

test('a session the server ends keeps the queue and the saved lists; the same user signing in again sends it', async ({
  page,
  request,
}) => {
  await configureSandbox(request, { accessTokenTtl: 4 });
  const tokens = recordTokenResponses(page);
  await signInReady(page);
  const title = `Across sign-ins ${uniqueTag()}`;
  // Fentu cannot be reached for orders for a while, so this one waits in the queue.
  await page.route(`${API_BASE_URL}/work-orders`, (route) =>
    route.request().method() === 'POST' ? route.abort('internetdisconnected') : route.fallback(),
  );
  await createWorkOrder(page, title);
  await expect(outboxItem(page, title).getByTestId('outbox-status')).toContainText('Fentu could not be reached');
  const before = await orderStats(request);

  // The server ends the session: a rotated-out refresh token is replayed, so it revokes the grant.
  await expect.poll(() => tokens.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
  expect((await presentRefreshTokenFromApp(page, tokens[0].refresh_token)).body.error).toBe('invalid_grant');
  await expect(page.getByRole('heading', { name: 'Your session has ended' })).toBeVisible({ timeout: 15_000 });
  expect(await recordNames(page, 'outbox:')).toHaveLength(1);
  expect(await recordNames(page, 'cache:')).toHaveLength(3);

  await page.unroute(`${API_BASE_URL}/work-orders`);
  await page.getByRole('button', { name: 'Sign in again' }).click();
  await page.waitForURL(`${ISSUER}/**`);
  await page.getByRole('button', { name: 'Allow' }).click();

  await expect(outboxItem(page, title).getByTestId('outbox-status')).toHaveText(/^Sent as WO-\d+$/, {
    timeout: 15_000,
  });
  expect((await orderStats(request)).created - before.created).toBe(1);
});

test('a tablet two people share: the next technician sees none of the last one’s lists or orders, and never sends them', async ({
  context,
  page,
  request,
}) => {
  await configureSandbox(request, { accessTokenTtl: 4 });
  const tokens = recordTokenResponses(page);
  await signInReady(page);
  await expect.poll(() => recordNames(page, 'cache:')).toHaveLength(3);
  const samsOrder = `Left by Sam ${uniqueTag()}`;
  await page.route(`${API_BASE_URL}/work-orders`, (route) =>
    route.request().method() === 'POST' ? route.abort('internetdisconnected') : route.fallback(),
  );
  await createWorkOrder(page, samsOrder);
  await expect(outboxItem(page, samsOrder).getByTestId('outbox-status')).toContainText('Fentu could not be reached');

  // The server ends Sam's session (a replayed refresh token revokes the grant); his lists and order stay.
  await expect.poll(() => tokens.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
  expect((await presentRefreshTokenFromApp(page, tokens[0].refresh_token)).body.error).toBe('invalid_grant');
  await expect(page.getByRole('heading', { name: 'Your session has ended' })).toBeVisible({ timeout: 15_000 });
  await page.unroute(`${API_BASE_URL}/work-orders`);
  const before = await orderStats(request);

  // Ana signs in on the same tablet (the sandbox forgets Sam's login), before Fentu can be reached.
  await context.clearCookies();
  await page.route(`${API_BASE_URL}/**`, (route) => route.abort('internetdisconnected'));
  await signIn(page, { account: SECOND, tick: ['write:work-orders'] });
  await expect(page.getByRole('heading', { name: `Signed in as ${SECOND.name}` })).toBeVisible();
  await expect(panel(page, 'Work orders')).toContainText('Fentu could not be reached');
  await expect(panel(page, 'Customers')).toContainText('Fentu could not be reached');
  await expect(page.getByTestId('saved-list')).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Quarterly chiller service' })).toHaveCount(0);
  await expect(outboxItems(page)).toHaveCount(0);

  // Back online, Ana's own order goes; Sam's, older and first in the queue, is not sent with her token.
  await page.unroute(`${API_BASE_URL}/**`);
  await panel(page, 'Customers').getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('cell', { name: 'Harbourside Medical Centre' })).toBeVisible();
  const anasOrder = `Ana's own ${uniqueTag()}`;
  await createWorkOrder(page, anasOrder, TAKEN_ONLINE);
  await expect(outboxItem(page, anasOrder).getByTestId('outbox-status')).toHaveText(/^Sent as WO-\d+$/, {
    timeout: 15_000,
  });
  expect((await orderStats(request)).created - before.created).toBe(1);
  const titles = (await apiWorkOrders(request)).map((order) => order.title);
  expect(titles).not.toContain(samsOrder);
  await expect(outboxItems(page)).toHaveCount(1);

  // Signing out, Ana is told that an unsent order on the device is someone else's, then it all goes.
  await page.getByRole('button', { name: 'Sign out' }).click();
  const dialog = page.getByRole('dialog', { name: '1 work order has not been sent' });
  await expect(dialog).toContainText('1 of them was saved by someone else who was signed in on this device before');
  await dialog.getByRole('button', { name: 'Sign out and delete 1 unsent work order' }).click();
  await expect(page.getByText('You are signed out.')).toBeVisible();
  expect(await appRecords(page)).toEqual({});
});
