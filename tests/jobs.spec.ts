// One job at a time: the job page opened offline from the lists saved on the device, status changes
// (Start, Put on hold, Complete) kept on the device and sent in order, exactly once, as PATCH with
// If-Match; a change the office made meanwhile shown with both versions; and the permission to make
// changes asked for from the job page. Seen in the browser and at the sandbox.

import type { APIRequestContext, Page } from '@playwright/test';
import {
  expect,
  nextAuthorizationParams,
  press,
  recordNames,
  sandboxStats,
  signIn,
  signInWithListsSaved,
  storedSession,
  test,
} from './fixtures';
import { ISSUER } from './harness';

interface StatusChanges {
  applied: number;
  replayed: number;
  conflicts: number;
  log: Array<{ id: string; status: string; version: number; key: string | null }>;
}

/** PATCH /work-orders/<id> counters and the log of changes applied, in order. */
async function statusChanges(request: APIRequestContext): Promise<StatusChanges> {
  const stats = (await sandboxStats(request)) as unknown as { api: { statusChanges: StatusChanges } };
  return stats.api.statusChanges;
}

/** A job of the test's own, created at the sandbox as the office would, so tests never share one. */
async function officeCreatesJob(request: APIRequestContext, title: string): Promise<string> {
  const response = await request.post(`${ISSUER}/__sandbox/work-orders`, {
    data: { title, customerId: 'CUS-1001', assetId: 'AST-2001', priority: 'high' },
  });
  expect(response.status()).toBe(201);
  return ((await response.json()) as { data: { id: string } }).data.id;
}

/** The office changes the job in Fentu's own screens. */
async function officeChangesJob(request: APIRequestContext, id: string, changes: Record<string, string>) {
  const response = await request.put(`${ISSUER}/__sandbox/work-orders/${id}`, { data: changes });
  expect(response.status()).toBe(200);
}

const uniqueTag = () => Math.random().toString(36).slice(2, 8);
const jobStatus = (page: Page) => page.getByTestId('job-status');
const history = (page: Page) => page.getByTestId('job-change');

/** Opens the job from its row in the work orders list, as a technician taps it. */
async function openFromList(page: Page, title: string) {
  await press(page.getByRole('region', { name: 'Work orders' }).getByRole('link', { name: title }));
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
}

test.describe('offline, with the service worker', () => {
  test.use({ serviceWorkers: 'allow' });

  test(
    'a job opens offline from a cold start, with who to call, where to go and the asset',
    { tag: '@device' },
    async ({ context, page }) => {
      await signInWithListsSaved(page);

      // The app closed, then opened again with no network, straight on the job: the service
      // worker's shell and the app's code from its cache, the job from the lists saved on the device.
      await page.close();
      await context.setOffline(true);
      const reopened = await context.newPage();
      await reopened.goto('/jobs/WO-3001');

      await expect(reopened.getByRole('heading', { level: 1, name: 'Quarterly chiller service' })).toBeVisible();
      await expect(reopened.getByTestId('saved-job')).toHaveText(
        /^Offline — showing this job as fetched (yesterday|today) \d{1,2}:\d\d( [AP]M)?\.$/,
      );
      await expect(jobStatus(reopened)).toHaveText('Scheduled');
      await expect(reopened.getByRole('link', { name: 'Call +44 20 7946 0101' })).toHaveAttribute(
        'href',
        'tel:+442079460101',
      );
      const map = reopened.getByRole('link', { name: 'Map: 12 Quay Street, Bristol BS1 4DJ' });
      await expect(map).toHaveAttribute('href', /^https:\/\/www\.google\.com\/maps\/search\/\?api=1&query=12%20Quay/);
      const asset = reopened.getByRole('region', { name: 'Asset' });
      await expect(asset).toContainText('Carrier AquaForce 30XW');
      await expect(asset).toContainText('Roof plant room');

      // Back to the list and into another job, still offline.
      await reopened.getByRole('link', { name: '← All jobs' }).click();
      await openFromList(reopened, 'Boiler lockout — no heating in classrooms');
      await expect(jobStatus(reopened)).toHaveText('In progress');
      await expect(reopened.getByRole('region', { name: 'Customer and site' })).toContainText('Tom Fairweather');
    },
  );
});

test(
  'status changes made offline survive closing the app and reach Fentu once each, in order',
  { tag: '@device' },
  async ({ context, page, request }) => {
    const title = `Offline status ${uniqueTag()}`;
    const id = await officeCreatesJob(request, title);
    await signIn(page, { tick: ['write:work-orders'] });
    await openFromList(page, title);
    await expect(jobStatus(page)).toHaveText('Scheduled');
    const before = await statusChanges(request);

    await context.setOffline(true);
    await press(page.getByRole('button', { name: 'Start' }));
    await expect(jobStatus(page)).toHaveText('In progress · saved on this device, not sent yet');
    await press(page.getByRole('button', { name: 'Put on hold' }));
    // A hold needs a reason: nothing is saved without one.
    await page.getByLabel('Why is the job on hold?').fill('Waiting for a replacement belt');
    await press(page.getByRole('button', { name: 'Put on hold' }));
    await expect(jobStatus(page)).toHaveText('On hold · saved on this device, not sent yet');
    await expect(page.getByText('Reason: Waiting for a replacement belt')).toBeVisible();
    await press(page.getByRole('button', { name: 'Resume' }));
    await press(page.getByRole('button', { name: 'Complete' }));
    await page.getByLabel('What was done (optional)').fill('Belt replaced, tested under load');
    await press(page.getByRole('button', { name: 'Complete job' }));
    await expect(jobStatus(page)).toHaveText('Completed · saved on this device, not sent yet');
    await expect(history(page)).toHaveCount(4);
    for (const state of await page.getByTestId('job-change-state').all()) {
      await expect(state).toHaveText('Waiting to be sent (offline)');
    }
    expect(await recordNames(page, 'outbox:')).toHaveLength(4);
    expect((await statusChanges(request)).applied).toBe(before.applied);

    await page.close();
    await context.setOffline(false);
    const reopened = await context.newPage();
    await reopened.goto(`/jobs/${id}`);

    await expect(reopened.getByTestId('job-change-state')).toHaveText(['Sent', 'Sent', 'Sent', 'Sent'], {
      timeout: 20_000,
    });
    await expect(jobStatus(reopened)).toHaveText('Completed');
    await expect(reopened.getByText('Note: Belt replaced, tested under load')).toBeVisible();
    const after = await statusChanges(request);
    expect(after.applied - before.applied).toBe(4);
    expect(after.replayed - before.replayed).toBe(0);
    const ours = after.log.filter((entry) => entry.id === id);
    expect(ours.map((entry) => [entry.status, entry.version])).toEqual([
      ['in_progress', 2],
      ['on_hold', 3],
      ['in_progress', 4],
      ['completed', 5],
    ]);
    expect(new Set(ours.map((entry) => entry.key)).size).toBe(4);

    // Its card shows the new status, among the jobs done.
    await reopened.getByRole('link', { name: '← All jobs' }).click();
    const done = reopened.getByRole('region', { name: /^Done/ });
    await expect(done.getByTestId('job-card').filter({ hasText: title }).getByTestId('job-card-status')).toHaveText(
      'Completed',
    );
  },
);

test('a change the office made meanwhile shows both versions, and the technician’s choice is applied', async ({
  page,
  request,
}) => {
  const title = `Conflict ${uniqueTag()}`;
  const id = await officeCreatesJob(request, title);
  await signIn(page, { tick: ['write:work-orders'] });
  await openFromList(page, title);
  await expect(jobStatus(page)).toHaveText('Scheduled');
  const before = await statusChanges(request);

  // The office puts the job on hold while the technician has it open, then the technician starts it.
  await officeChangesJob(request, id, { status: 'on_hold', holdReason: 'Customer asked to wait' });
  await press(page.getByRole('button', { name: 'Start' }));

  const conflict = page.getByTestId('conflict');
  await expect(conflict.getByRole('heading')).toHaveText(
    'The office changed this job before your change reached Fentu',
  );
  await expect(conflict.getByTestId('conflict-mine')).toHaveText('Started: In progress');
  await expect(conflict.getByTestId('conflict-theirs')).toHaveText('On hold — Customer asked to wait');
  await expect(page.getByRole('button', { name: 'Start' })).toHaveCount(0);
  expect((await statusChanges(request)).applied).toBe(before.applied);

  await press(conflict.getByRole('button', { name: 'Apply my change' }));
  await expect(page.getByTestId('job-change-state')).toHaveText(['Sent over the office’s version']);
  await expect(jobStatus(page)).toHaveText('In progress');
  let after = await statusChanges(request);
  expect(after.conflicts - before.conflicts).toBe(1);
  expect(after.log.filter((entry) => entry.id === id).map((entry) => [entry.status, entry.version])).toEqual([
    ['in_progress', 3],
  ]);

  // Once more, and this time the office's version is kept: nothing is sent.
  await officeChangesJob(request, id, { status: 'completed' });
  await press(page.getByRole('button', { name: 'Put on hold' }));
  await page.getByLabel('Why is the job on hold?').fill('Parts on order');
  await press(page.getByRole('button', { name: 'Put on hold' }));
  await expect(conflict.getByTestId('conflict-theirs')).toHaveText('Completed');
  await press(conflict.getByRole('button', { name: 'Keep the office’s version' }));
  await expect(conflict).toHaveCount(0);
  await expect(jobStatus(page)).toHaveText('Completed');
  await expect(page.getByTestId('job-change-state')).toHaveText([
    'Sent over the office’s version',
    'Not sent: you kept the office’s version',
  ]);
  after = await statusChanges(request);
  expect(after.applied - before.applied).toBe(1);
  expect(after.conflicts - before.conflicts).toBe(2);
});

test(
  'without permission to change jobs, the job page asks for exactly that permission',
  { tag: '@device' },
  async ({ page }) => {
    await signIn(page);
    await openFromList(page, 'Quarterly chiller service');
    await expect(page.getByRole('button', { name: 'Start' })).toHaveCount(0);
    await expect(
      page.getByText('To start, hold or complete jobs, allow Fieldpass to create/update work orders'),
    ).toBeVisible();

    const authorize = nextAuthorizationParams(page);
    await press(page.getByRole('button', { name: 'Allow: Create/update work orders' }));
    expect((await authorize).get('scope')!.split(' ')).toContain('write:work-orders');
    await press(page.getByRole('button', { name: 'Allow' }));

    await page.waitForURL('**/jobs/WO-3001');
    await expect(page.getByRole('button', { name: 'Start' })).toBeVisible();
    expect(String((await storedSession(page))?.scope).split(' ')).toContain('write:work-orders');
  },
);

test('sign-out asks first when a status change has not been sent', async ({ context, page, request }) => {
  const title = `Unsent change ${uniqueTag()}`;
  await officeCreatesJob(request, title);
  await signIn(page, { tick: ['write:work-orders'] });
  await openFromList(page, title);
  await context.setOffline(true);
  await press(page.getByRole('button', { name: 'Start' }));
  await expect(jobStatus(page)).toHaveText('In progress · saved on this device, not sent yet');

  await page.getByRole('button', { name: 'Sign out' }).click();
  const dialog = page.getByRole('dialog', { name: '1 status change has not been sent' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Stay signed in' }).click();
  await expect(dialog).toBeHidden();
  expect(await recordNames(page, 'outbox:')).toHaveLength(1);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await dialog.getByRole('button', { name: 'Sign out and delete 1 unsent status change' }).click();
  await expect(page.getByText('You are signed out on this device')).toBeVisible();
  expect(await recordNames(page, 'outbox:')).toHaveLength(0);
});

/** Tablet widths of 712 px and more, portrait and landscape: the device's own on a tablet project. */
function wideSizes(viewport: { width: number; height: number } | null) {
  if (test.info().project.use.hasTouch && viewport) {
    const { width, height } = viewport;
    return [
      { width: Math.min(width, height), height: Math.max(width, height) },
      { width: Math.max(width, height), height: Math.min(width, height) },
    ];
  }
  return [
    { width: 712, height: 1000 },
    { width: 834, height: 1194 },
    { width: 1194, height: 834 },
    { width: 1280, height: 800 },
  ];
}

test(
  'jobs come as cards grouped overdue, today, upcoming and done, ids and times on one line',
  { tag: '@device' },
  async ({ page, request, viewport }) => {
    const tag = uniqueTag();
    await signIn(page);
    // Today at noon and tomorrow at noon on the device's own clock.
    const [today, tomorrow] = await page.evaluate(() =>
      [0, 1].map((days) => {
        const at = new Date();
        at.setDate(at.getDate() + days);
        at.setHours(12, 0, 0, 0);
        return at.toISOString();
      }),
    );
    for (const [title, scheduledFor] of [
      [`Today ${tag}`, today],
      [`Tomorrow ${tag}`, tomorrow],
    ]) {
      const created = await request.post(`${ISSUER}/__sandbox/work-orders`, {
        data: { title, customerId: 'CUS-1003', assetId: 'AST-2004', priority: 'urgent', scheduledFor },
      });
      expect(created.status()).toBe(201);
    }
    await page.getByRole('region', { name: 'Work orders' }).getByRole('button', { name: 'Reload' }).click();

    const group = (name: string) => page.getByRole('region', { name: new RegExp(`^${name} \\(\\d+\\)$`) });
    const card = (name: string, title: string) => group(name).getByTestId('job-card').filter({ hasText: title });
    await expect(card('Overdue', 'Quarterly chiller service')).toBeVisible();
    await expect(card('Today', `Today ${tag}`)).toBeVisible();
    await expect(card('Upcoming', `Tomorrow ${tag}`)).toBeVisible();
    await expect(card('Done', 'Annual fire alarm certification')).toBeVisible();
    // Each card: priority, the job, customer and site, the asset, and when.
    const today_ = card('Today', `Today ${tag}`);
    await expect(today_).toContainText('urgent');
    await expect(today_).toContainText('Cobalt Data Park · Unit 7, Aztec West, Bristol BS32 4TD');
    await expect(today_).toContainText('CRAC unit · Vertiv Liebert PDX');
    await expect(today_.getByTestId('job-card-when')).toHaveText(/^today \d{1,2}:\d\d( [AP]M)?$/);
    await expect(card('Upcoming', `Tomorrow ${tag}`).getByTestId('job-card-when')).toHaveText(
      /^tomorrow \d{1,2}:\d\d( [AP]M)?$/,
    );
    // The New work order form is reachable from the top of the page.
    await page.getByRole('link', { name: 'New work order' }).click();
    await expect(page.getByRole('heading', { name: 'New work order' })).toBeInViewport();

    for (const size of wideSizes(viewport)) {
      await page.setViewportSize(size);
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
      const wrapped = await page.getByTestId('job-card').evaluateAll((cards) =>
        cards.flatMap((card) =>
          [...card.querySelectorAll('.id, .when, .status')]
            .filter((el) => {
              const range = document.createRange();
              range.selectNodeContents(el);
              return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size > 1;
            })
            .map((el) => `"${el.textContent}"`),
        ),
      );
      expect(wrapped, `wrapped at ${size.width}×${size.height}`).toEqual([]);
    }
  },
);

test('back from a job returns to the same place in the list', { tag: '@device' }, async ({ page }) => {
  await signIn(page);
  await page.setViewportSize({ width: 834, height: 700 });
  const card = page.getByTestId('job-card').filter({ hasText: 'Annual fire alarm certification' });
  await card.getByRole('link').scrollIntoViewIfNeeded();
  const before = await page.evaluate(() => window.scrollY);
  const top = (await card.boundingBox())!.y;
  expect(before).toBeGreaterThan(200);
  await press(card.getByRole('link'));
  await expect(page.getByRole('heading', { level: 1, name: 'Annual fire alarm certification' })).toBeVisible();
  await page.goBack();
  // The card is where it was on screen.
  await expect(card).toBeInViewport();
  await expect.poll(async () => Math.round((await card.boundingBox())!.y)).toBe(Math.round(top));
});
