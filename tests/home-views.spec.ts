// What belongs elsewhere is there: permissions and the token's expiry on the Account page, partner
// services on the Integrations page (linked in the header only for people the partner route lets
// in), customers and assets reached from the job that uses them and from a search over the lists
// saved on the device, which works offline.

import type { Page } from '@playwright/test';
import { expect, press, signIn, signInWithListsSaved, test } from './fixtures';
import { DEMO } from './harness';

const header = (page: Page) => page.getByRole('banner');
const results = (page: Page) => page.getByRole('list', { name: 'Search results' });
const search = (page: Page) => page.getByLabel('Find a job, customer or asset');

/** The app's own JavaScript files the page has requested so far. */
function scriptsLoaded(page: Page): Set<string> {
  const urls = new Set<string>();
  page.on('request', (request) => {
    if (request.resourceType() === 'script' && new URL(request.url()).pathname.startsWith('/_app/')) {
      urls.add(request.url());
    }
  });
  return urls;
}

test(
  'the Account page shows who is signed in, the permissions in words, when the token runs out, and signs out',
  { tag: '@device' },
  async ({ page }) => {
    const scripts = scriptsLoaded(page);
    await signIn(page);
    await expect(page.getByRole('heading', { level: 1, name: `Signed in as ${DEMO.name}` })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible();
    // The home is for the jobs: no permission list, no token time, no partner services.
    await expect(page.getByRole('list', { name: 'Granted permissions' })).toHaveCount(0);
    await expect(page.getByText(/valid until/)).toHaveCount(0);
    await expect(page.getByRole('region', { name: 'Partner services' })).toHaveCount(0);
    const onTheHome = scripts.size;

    await press(header(page).getByRole('link', { name: /^Account/ }));
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Account' })).toBeVisible();
    // Its code is loaded when it is opened, not with the home.
    expect(scripts.size).toBeGreaterThan(onTheHome);
    await expect(page.getByTestId('account-user')).toContainText(`Signed in as ${DEMO.name}`);
    const granted = page.getByRole('list', { name: 'Granted permissions' });
    const workOrders = granted.getByRole('listitem').filter({ hasText: 'View work orders' });
    await expect(workOrders).toContainText('Granted');
    await expect(workOrders.locator('code')).toHaveText('read:work-orders');
    // The expiry as the app writes every time: relative to today, in the device's clock format.
    await expect(page.getByTestId('token-expiry')).toHaveText(
      /The current token is valid until (today|tomorrow) \d{1,2}:\d{2}/,
    );

    await press(page.getByRole('main').getByRole('button', { name: 'Sign out' }));
    await expect(page.getByRole('status').filter({ hasText: 'You are signed out' })).toBeVisible();
    await expect(header(page).getByRole('link', { name: /^Account/ })).toHaveCount(0);
  },
);

test('without a partner service’s permission, the header has no Integrations link', async ({ page }) => {
  // The sandbox's partner services need read:customers (fenergo) or read:assets (fenris).
  await signIn(page, { untick: ['read:customers', 'read:assets'] });
  await expect(page.getByRole('heading', { level: 1, name: `Signed in as ${DEMO.name}` })).toBeVisible();
  await expect(header(page).getByRole('link', { name: /^Account/ })).toBeVisible();
  await expect(header(page).getByRole('link', { name: 'Integrations' })).toHaveCount(0);
});

test('with a partner service’s permission, Integrations is in the header and loads partner data', async ({ page }) => {
  await signIn(page);
  await press(header(page).getByRole('link', { name: 'Integrations' }));
  await expect(page).toHaveURL(/\/integrations$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Integrations' })).toBeVisible();
  const partners = page.getByRole('region', { name: 'Partner services' });
  await press(partners.getByRole('button', { name: 'Load /entities' }));
  await expect(partners.getByText('Harbourside Medical Centre Ltd')).toBeVisible();
});

test(
  'a job links to its customer and asset in the lists, which show and mark that row',
  { tag: '@device' },
  async ({ page }) => {
    await signIn(page);
    await expect(page.getByRole('cell', { name: 'Carrier AquaForce 30XW' })).toBeVisible();
    await press(
      page.getByRole('region', { name: 'Work orders' }).getByRole('link', { name: 'Quarterly chiller service' }),
    );
    await expect(page.getByRole('heading', { level: 1, name: 'Quarterly chiller service' })).toBeVisible();

    await press(page.getByRole('link', { name: /Harbourside Medical Centre · in the customer list/ }));
    const customer = page.getByRole('row', { name: /Harbourside Medical Centre/ });
    await expect(customer).toHaveAttribute('aria-current', 'true');
    await expect(customer).toBeInViewport();

    await page.goBack();
    await expect(page.getByRole('heading', { level: 1, name: 'Quarterly chiller service' })).toBeVisible();
    await press(page.getByRole('link', { name: /Chiller Carrier AquaForce 30XW · in the asset list/ }));
    const asset = page.getByRole('row', { name: /Carrier AquaForce 30XW/ });
    await expect(asset).toHaveAttribute('aria-current', 'true');
    await expect(asset).toBeInViewport();
  },
);

test.describe('offline, with the service worker', () => {
  test.use({ serviceWorkers: 'allow' });

  test(
    'the search on the home finds jobs, customers and assets in the saved lists with no signal',
    { tag: '@device' },
    async ({ context, page }) => {
      // The app's code comes from the service worker's cache once offline, the lists from the device.
      await signInWithListsSaved(page);
      await context.setOffline(true);

      await search(page).fill('harbourside');
      await expect(page.getByTestId('search-status')).toHaveText(/matches in the lists saved on this device/);
      await expect(
        results(page).getByRole('link', { name: /^Job Quarterly chiller service Harbourside/ }),
      ).toBeVisible();
      await expect(results(page).getByRole('link', { name: /^Customer Harbourside Medical Centre/ })).toBeVisible();

      await search(page).fill('aquaforce');
      await expect(
        results(page).getByRole('link', { name: /^Asset Chiller Carrier AquaForce 30XW Roof plant room/ }),
      ).toBeVisible();

      await search(page).fill('no such thing');
      await expect(page.getByTestId('search-status')).toHaveText(
        'Nothing saved on this device matches “no such thing”.',
      );
      await expect(results(page)).toHaveCount(0);

      await search(page).fill('chiller service');
      await press(results(page).getByRole('link', { name: /^Job Quarterly chiller service/ }));
      await expect(page.getByRole('heading', { level: 1, name: 'Quarterly chiller service' })).toBeVisible();
      await expect(page.getByTestId('saved-job')).toContainText('Offline — showing this job as fetched');
    },
  );
});
