// The inspector as a page to work in: its layout on a tablet, its controls, its own storage, and
// the switch that keeps it out of production unless an operator turns it on.

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { answerAtSandbox, expect, idbRecords, openRecord, test } from './fixtures';
import { APP_ORIGIN, ISSUER } from './harness';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CALLBACK = `${APP_ORIGIN}/inspect/callback`;
const TABLET = { width: 834, height: 1194 };
const INSPECTOR_DATABASE = 'fieldpass-inspector';
const INSPECTOR_RECORD = /^(profile:|inspect:|key:inspect-dpop:)/;

/** The page's whole height, as far as a user scrolls. */
const documentHeight = (page: Page) => page.evaluate(() => document.documentElement.scrollHeight);

/** Steps 1–3 on /inspect against the sandbox, which offers PAR: metadata read, request built and pushed. */
async function runSteps(page: Page) {
  await page.goto('/inspect');
  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
  await expect(page.getByText(`${ISSUER}/token`).first()).toBeVisible();
  await page.getByRole('button', { name: '2. Build the authorization request' }).click();
  await expect(page.getByRole('table', { name: 'Authorization request parameters' })).toBeVisible();
  await page.getByRole('button', { name: '3. Push the request to the server (PAR)' }).click();
  await expect(page.getByRole('link', { name: '4. Go to the server' })).toBeVisible();
}

/** From the pushed request to the callback page, signing in at the sandbox, then the code exchange. */
async function toCallbackAndExchange(page: Page) {
  await page.getByRole('link', { name: '4. Go to the server' }).click();
  await answerAtSandbox(page, CALLBACK);
  await page.getByRole('button', { name: 'Exchange the code for tokens' }).click();
  await expect(page.getByRole('region', { name: 'Code exchange' }).getByText('Tokens received.')).toBeVisible();
}

test('no inspector page is taller than three tablet screens after a whole flow', async ({ page }) => {
  await page.setViewportSize(TABLET);
  const limit = 3 * TABLET.height;

  await runSteps(page);
  expect(await documentHeight(page), '/inspect after steps 1–3').toBeLessThanOrEqual(limit);

  await toCallbackAndExchange(page);
  await page.getByRole('button', { name: 'Refresh', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Refresh', exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Introspect' }).click();
  await expect(page.getByRole('region', { name: 'Introspect the access token' })).toBeVisible();
  expect(await documentHeight(page), '/inspect/callback after exchange, refresh, introspect').toBeLessThanOrEqual(
    limit,
  );
});

test('each step is numbered once; the server’s summary comes first, its raw exchange folded below', async ({
  page,
}) => {
  await page.goto('/inspect');
  const steps = page.getByRole('region', { name: 'Authorization-code flow, step by step' }).getByRole('list').first();
  // The list draws no numbers of its own: each step's button says its number.
  expect(await steps.evaluate((list) => getComputedStyle(list).listStyleType)).toBe('none');

  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
  const issuer = page.getByRole('definition').filter({ hasText: ISSUER }).first();
  const raw = page.locator('details.exchange').filter({ hasText: 'openid-configuration' });
  await expect(issuer).toBeVisible();
  await expect(raw).toHaveJSProperty('open', false);
  const summaryBox = (await issuer.boundingBox())!;
  const rawBox = (await raw.boundingBox())!;
  expect(summaryBox.y).toBeLessThan(rawBox.y);

  // Long values wrap inside the parameter table instead of stretching it past the panel.
  await page.setViewportSize(TABLET);
  await page.getByRole('button', { name: '2. Build the authorization request' }).click();
  const table = page.getByRole('table', { name: 'Authorization request parameters' });
  await expect(table).toBeVisible();
  const panel = (await page.getByRole('region', { name: 'Authorization-code flow, step by step' }).boundingBox())!;
  const tableBox = (await table.boundingBox())!;
  expect(tableBox.x + tableBox.width).toBeLessThanOrEqual(panel.x + panel.width);
});

test('chosen scopes are compact chips, each with its own remove button of touch size', async ({ page }) => {
  await page.goto('/inspect');
  const chosen = page.getByRole('list', { name: 'Scopes to request' });
  const chips = chosen.getByRole('listitem');
  await expect(chips).toHaveCount(4);
  // Side by side, not one per line.
  const [first, second] = [(await chips.nth(0).boundingBox())!, (await chips.nth(1).boundingBox())!];
  expect(second.y).toBe(first.y);
  expect(second.x).toBeGreaterThan(first.x + first.width - 1);
  const remove = chosen.getByRole('button', { name: 'Remove read:assets' });
  const box = (await remove.boundingBox())!;
  expect(Math.round(box.width)).toBeGreaterThanOrEqual(44);
  expect(Math.round(box.height)).toBeGreaterThanOrEqual(44);
  expect(box.width).toBeLessThan(first.width + second.width);

  await remove.click();
  await expect(chips).toHaveCount(3);
  await expect(page.getByTestId('scope-value')).not.toContainText('read:assets');
  await expect(page.getByRole('checkbox', { name: /read:assets/ })).not.toBeChecked();
});

test('the admin scope’s warning says in plain words what it grants and when to ask for it', async ({ page }) => {
  await page.goto('/inspect');
  const admin = page.getByRole('checkbox', { name: /^admin/ });
  await expect(admin).toHaveAccessibleName(/full administrative access to the whole Fentu account/);
  await expect(admin).toHaveAccessibleName(/ask for it only to manage its users and settings/);
  await expect(admin).not.toHaveAccessibleName(/administers/);
});

test('the token box sits under its label, the width of the panel', async ({ page }) => {
  await page.setViewportSize(TABLET);
  await page.goto('/inspect');
  const section = page.getByRole('region', { name: 'Decode a token' });
  const box = (await section.getByLabel(/Paste a JWT/).boundingBox())!;
  const label = (await section.getByText(/Paste a JWT/).boundingBox())!;
  expect(box.y).toBeGreaterThanOrEqual(label.y + 10);
  expect(Math.abs(box.x - label.x)).toBeLessThan(2);
  expect(box.width).toBeGreaterThan(label.width * 0.9);
});

test('an imported profile with the id of a saved one: nothing is overwritten until the developer chooses', async ({
  page,
}) => {
  await page.goto('/inspect');
  await page.getByLabel('Name').fill('Tenant A');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved “Tenant A” in this browser.');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export profiles' }).click();
  const file = JSON.parse((await readFile(await (await download).path())).toString('utf8'));
  file.profiles[0].name = 'Tenant A, edited';
  const importFile = async () => {
    await page.getByLabel('Or paste JSON').fill(JSON.stringify(file));
    await page.getByRole('button', { name: 'Import', exact: true }).click();
  };
  const menu = page.getByRole('combobox', { name: 'Start from' });
  await page.getByText('Import profiles').click();

  // The same id: the developer is asked, and nothing is stored yet.
  await importFile();
  const ask = page.getByRole('alertdialog', { name: 'A profile in the file is already saved here' });
  await expect(ask).toContainText('“Tenant A, edited” in the file has the id of “Tenant A” saved in this browser.');
  await expect(menu.getByRole('option', { name: 'Tenant A', exact: true })).toHaveCount(1);

  // Keep both: the saved one stays, the imported one is added under a new id.
  await ask.getByRole('button', { name: 'Keep both' }).click();
  await expect(page.getByRole('status')).toContainText(
    'kept the saved “Tenant A” and added the imported one beside it as “Tenant A, edited”',
  );
  await expect(menu.getByRole('option', { name: 'Tenant A', exact: true })).toHaveCount(1);
  await expect(menu.getByRole('option', { name: 'Tenant A, edited' })).toHaveCount(1);

  // Again, and replace: the saved one takes the imported version.
  await importFile();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Replace the saved profile' }).click();
  await expect(page.getByRole('status')).toContainText('replaced “Tenant A” with the imported “Tenant A, edited”');
  await expect(menu.getByRole('option', { name: 'Tenant A', exact: true })).toHaveCount(0);
  await expect(menu.getByRole('option', { name: 'Tenant A, edited' })).toHaveCount(2);

  // The replaced profile was open in the editor: it now shows the imported version, so saving keeps it.
  await expect(page.getByLabel('Name')).toHaveValue('Tenant A, edited');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved “Tenant A, edited” in this browser.');
  await expect(menu.getByRole('option', { name: 'Tenant A', exact: true })).toHaveCount(0);
  await expect(menu.getByRole('option', { name: 'Tenant A, edited' })).toHaveCount(2);
});

test('an imported profile that gives a saved issuer other endpoints: the developer is warned and chooses', async ({
  page,
}) => {
  await page.goto('/inspect');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export profiles' }).click();
  const file = JSON.parse((await readFile(await (await download).path())).toString('utf8'));
  const [template] = file.profiles;
  const withToken = (id: string, name: string, path: string) => ({
    ...template,
    id,
    name,
    endpoints: { token_endpoint: `${template.issuer}${path}` },
  });
  const importFile = async (...profiles: unknown[]) => {
    await page.getByLabel('Or paste JSON').fill(JSON.stringify({ ...file, profiles }));
    await page.getByRole('button', { name: 'Import', exact: true }).click();
  };
  const menu = page.getByRole('combobox', { name: 'Start from' });
  await page.getByText('Import profiles').click();
  await importFile(withToken('first-copy', 'First copy', '/token'));
  await expect(page.getByRole('status')).toContainText('added 1 new profile (“First copy”)');

  // The same issuer with another token endpoint: asked, and nothing is stored until the developer chooses.
  await importFile(withToken('second-copy', 'Second copy', '/other-token'));
  const ask = page.getByRole('alertdialog', { name: 'A profile in the file gives a saved issuer other endpoints' });
  await expect(ask).toContainText(
    `“Second copy” in the file gives the issuer ${template.issuer} other endpoints than “First copy” saved here.`,
  );
  await expect(menu.getByRole('option', { name: 'Second copy' })).toHaveCount(0);
  await ask.getByRole('button', { name: 'Cancel the import' }).click();
  await expect(page.getByRole('alertdialog')).toHaveCount(0);
  await expect(menu.getByRole('option', { name: 'Second copy' })).toHaveCount(0);

  await importFile(withToken('second-copy', 'Second copy', '/other-token'));
  await page.getByRole('alertdialog').getByRole('button', { name: 'Import anyway' }).click();
  await expect(menu.getByRole('option', { name: 'Second copy' })).toHaveCount(1);
});

test('the inspector keeps its profiles, attempts and keys in its own database, apart from the session', async ({
  page,
}) => {
  await page.goto('/inspect');
  await page.getByLabel('Name').fill('Kept apart');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved “Kept apart” in this browser.');
  await runSteps(page);
  await toCallbackAndExchange(page);

  const session = Object.keys(await idbRecords(page));
  expect(session.filter((name) => INSPECTOR_RECORD.test(name))).toEqual([]);
  const inspector = Object.keys(await idbRecords(page, INSPECTOR_DATABASE));
  expect(inspector.filter((name) => name.startsWith('key:inspect-dpop:'))).toHaveLength(1);
  const profile = inspector.find((name) => name.startsWith('profile:'));
  expect(await openRecord(page, profile!, INSPECTOR_DATABASE)).toMatchObject({ name: 'Kept apart' });
});

test('profiles an earlier version kept in the session’s store move to the inspector’s, once', async ({ page }) => {
  await page.goto('/');
  // As an earlier version left it: a plain profile record in the app's own database.
  await page.evaluate(
    (profile) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('fieldpass');
        open.onupgradeneeded = () => open.result.createObjectStore('records');
        open.onsuccess = () => {
          const transaction = open.result.transaction('records', 'readwrite');
          transaction.objectStore('records').put(profile, `profile:${profile.id}`);
          transaction.oncomplete = () => resolve(open.result.close());
          transaction.onerror = () => reject(transaction.error);
        };
      }),
    {
      id: 'from-before',
      name: 'From before',
      kind: 'authorization_code',
      template: 'custom',
      issuer: 'https://auth.tenant.example',
      clientId: 'fieldpass',
      redirectUri: CALLBACK,
      registeredRedirectUris: [CALLBACK],
      scopes: ['openid'],
      clientAuth: 'none',
    },
  );

  await page.goto('/inspect');
  await expect(page.getByRole('option', { name: 'From before' })).toHaveCount(1);
  expect(Object.keys(await idbRecords(page)).filter((name) => INSPECTOR_RECORD.test(name))).toEqual([]);
  expect(await openRecord(page, 'profile:from-before', INSPECTOR_DATABASE)).toMatchObject({ name: 'From before' });
  await page.reload();
  await expect(page.getByRole('option', { name: 'From before' })).toHaveCount(1);
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `node build` on a free port with a tenant's (non-loopback) issuer, plus `extra`; stopped by `stop`. */
async function startBuild(extra: Record<string, string>) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(PUBLIC_FENTU_|FENTU_|M2M_|INSPECT_|ORIGIN$|PORT$|HOST$)/.test(name),
    ),
  );
  const child = spawn(process.execPath, ['build'], {
    cwd: ROOT,
    env: {
      ...env,
      PUBLIC_FENTU_ISSUER: 'https://auth.tenant.example',
      PUBLIC_FENTU_CLIENT_ID: 'fieldpass',
      PUBLIC_FENTU_API_BASE_URL: 'https://api.tenant.example',
      M2M_PROVIDERS: '',
      INSPECT_CONNECT_ORIGINS: 'https://login.other.example',
      ORIGIN: origin,
      HOST: '127.0.0.1',
      PORT: String(port),
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  await expect.poll(() => output, { timeout: 15_000 }).toContain('Listening');
  return { origin, output: () => output, stop: () => child.kill('SIGTERM') };
}

test('a production server with a tenant’s issuer: the inspector is off unless INSPECT_ENABLED turns it on', async ({
  page,
}) => {
  const off = await startBuild({});
  try {
    for (const path of ['/inspect', '/inspect/callback']) {
      const response = await page.goto(`${off.origin}${path}`);
      expect(response?.status(), path).toBe(404);
      expect(response?.headers()['content-security-policy']).not.toContain('login.other.example');
      await expect(page.getByRole('heading', { name: 'There is no page here' })).toBeVisible();
      await expect(page.getByRole('alert')).toContainText('The developer inspector is off on this server.');
      await expect(page.getByRole('alert')).toContainText('INSPECT_ENABLED=1');
      await expect(page.getByRole('heading', { name: 'OAuth inspector' })).toHaveCount(0);
    }
    // The router decodes the path, so "/%69nspect" is /inspect: off there too, and no inspector route answers.
    for (const path of ['/%69nspect', '/inspect/connect-src', '/%69nspect/connect-src', '/inspect/connect-s%72c']) {
      const response = await page.request.get(`${off.origin}${path}`, { headers: { accept: 'application/json' } });
      expect(response.status(), path).toBe(404);
      expect(await response.text(), path).not.toContain('origins');
      expect(response.headers()['content-security-policy'] ?? '', path).not.toContain('login.other.example');
    }
    await page.goto(`${off.origin}/`);
    await expect(page.getByRole('banner').getByRole('link', { name: 'Fieldpass' })).toBeVisible();
    await expect(page.getByRole('banner').getByRole('link', { name: 'Inspector' })).toHaveCount(0);
    // The start-up log says which rule decided.
    expect(off.output()).toMatch(/"inspector":"off \(production default; INSPECT_ENABLED=1 turns it on\)"/);
  } finally {
    off.stop();
  }

  const on = await startBuild({ INSPECT_ENABLED: '1' });
  try {
    const response = await page.goto(`${on.origin}/inspect`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain('https://login.other.example');
    await expect(page.getByRole('heading', { name: 'OAuth inspector' })).toBeVisible();
    await expect(page.getByRole('banner').getByRole('link', { name: 'Inspector' })).toBeVisible();
    expect(on.output()).toContain('"inspector":"on (INSPECT_ENABLED is set)"');
    const origins = await page.request.get(`${on.origin}/%69nspect/connect-src`);
    expect(origins.status()).toBe(200);
    expect((await origins.json()).origins).toContain('https://login.other.example');
  } finally {
    on.stop();
  }
});
