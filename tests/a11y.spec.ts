// Touch-first and accessible: axe on every page in its main states, touch-target sizes and
// no sideways scrolling at tablet sizes, and the consent screen and sign-in used by keyboard and
// through the accessibility tree, as a screen reader would.
//
// The sandbox's own login and consent pages (on the issuer's origin) are Fentu's, not Fieldpass's:
// axe and the size check do not run on them. The keyboard test still goes through them.

import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { answerAtSandbox, expect, signIn, signedInHeading, test } from './fixtures';
import { APP_ORIGIN, DEMO, ISSUER } from './harness';

const MIN_TARGET = 44;

/** A job of the test's own, created at the sandbox as the office would; its id. */
async function officeCreatesJob(page: Page, title: string): Promise<string> {
  const response = await page.request.post(`${ISSUER}/__sandbox/work-orders`, {
    data: { title, customerId: 'CUS-1002', assetId: 'AST-2003', priority: 'urgent' },
  });
  expect(response.status()).toBe(201);
  return ((await response.json()) as { data: { id: string } }).data.id;
}

/** The app's pages in their main states, each opened and settled by `open`. */
interface PageState {
  name: string;
  open: (page: Page) => Promise<void>;
}

const SIGNED_OUT_STATES: PageState[] = [
  {
    name: 'home, signed out',
    open: async (page) => {
      await page.goto('/');
      await expect(page.getByRole('heading', { name: 'Your Fentu work orders, wherever the job is' })).toBeVisible();
    },
  },
  {
    name: 'home, just signed out (notice)',
    open: async (page) => {
      await page.goto('/?notice=signed-out');
      await expect(page.getByRole('status').filter({ hasText: 'You are signed out' })).toBeVisible();
    },
  },
  {
    name: 'consent screen',
    open: async (page) => {
      await page.goto('/sign-in');
      await expect(page.getByRole('button', { name: 'Continue to Fentu' })).toBeEnabled();
    },
  },
  {
    name: 'callback with nothing to finish',
    open: async (page) => {
      await page.goto('/callback');
      await expect(page.getByRole('heading', { name: 'There is no sign-in to finish here' })).toBeVisible();
    },
  },
  {
    name: 'callback refused (error panel)',
    open: async (page) => {
      await page.goto('/callback?code=abc&state=forged');
      await expect(page.getByRole('heading', { name: 'This sign-in response is not valid' })).toBeVisible();
    },
  },
  {
    name: 'inspector',
    open: async (page) => {
      await page.goto('/inspect');
      await expect(page.getByRole('heading', { name: 'OAuth inspector' })).toBeVisible();
    },
  },
  {
    name: 'inspector, scopes chosen',
    open: async (page) => {
      await page.goto('/inspect');
      await page.getByRole('checkbox', { name: /write:work-orders/ }).check();
      await page.getByLabel('Add scopes').fill('offline_access');
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await expect(page.getByRole('list', { name: 'Scopes to request' }).getByRole('listitem')).toHaveCount(6);
    },
  },
  {
    name: 'inspector, metadata read',
    open: async (page) => {
      await page.goto('/inspect');
      await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
      await expect(page.getByRole('button', { name: '2. Build the authorization request' })).toBeVisible();
    },
  },
  {
    name: 'inspector, request built',
    open: async (page) => {
      await page.goto('/inspect');
      await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
      await page.getByRole('button', { name: '2. Build the authorization request' }).click();
      await expect(page.getByRole('table', { name: 'Authorization request parameters' })).toBeVisible();
    },
  },
  {
    name: 'inspector, metadata read, request built and pushed',
    open: async (page) => {
      await page.goto('/inspect');
      await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
      await page.getByRole('button', { name: '2. Build the authorization request' }).click();
      await page.getByRole('button', { name: '3. Push the request to the server (PAR)' }).click();
      await expect(page.getByRole('link', { name: '4. Go to the server' })).toBeVisible();
      await page.getByLabel('Error code').fill('invalid_grant');
      await expect(page.getByTestId('explanation')).toBeVisible();
    },
  },
  {
    name: 'inspector, a token decoded',
    open: async (page) => {
      await page.goto('/inspect');
      const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const exp = Math.floor(Date.now() / 1000) + 600;
      await page.getByLabel(/Paste a JWT/).fill(`${part({ alg: 'ES256' })}.${part({ sub: 'tech-0042', exp })}.c2ln`);
      await expect(page.getByRole('region', { name: 'Pasted token' })).toBeVisible();
    },
  },
  {
    name: 'inspector, an imported profile clashes with a saved one',
    open: async (page) => {
      await page.goto('/inspect');
      await page.getByRole('button', { name: 'Save profile' }).click();
      await expect(page.getByRole('status')).toContainText('Saved');
      const id = await page.getByRole('combobox', { name: 'Start from' }).inputValue();
      const callback = `${APP_ORIGIN}/inspect/callback`;
      const profile = {
        id,
        name: 'Imported sandbox',
        kind: 'authorization_code',
        template: 'sandbox',
        issuer: ISSUER,
        clientId: 'fieldpass',
        redirectUri: callback,
        registeredRedirectUris: [callback],
        scopes: ['openid'],
        clientAuth: 'none',
      };
      await page.getByText('Import profiles').click();
      await page
        .getByLabel('Or paste JSON')
        .fill(JSON.stringify({ format: 'fieldpass-profiles', version: 1, profiles: [profile] }));
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      await expect(page.getByRole('alertdialog')).toBeVisible();
    },
  },
  {
    name: 'inspector callback after the code exchange',
    open: async (page) => {
      await page.goto('/inspect');
      await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
      await page.getByRole('button', { name: '2. Build the authorization request' }).click();
      await page.getByRole('button', { name: '3. Push the request to the server (PAR)' }).click();
      await page.getByRole('link', { name: '4. Go to the server' }).click();
      await answerAtSandbox(page, `${APP_ORIGIN}/inspect/callback`);
      await page.getByRole('button', { name: 'Exchange the code for tokens' }).click();
      await expect(page.getByRole('region', { name: 'Code exchange' }).getByText('Tokens received.')).toBeVisible();
      // No sandbox session is left behind: the sign-in after the signed-out states starts at its login form.
      await page.context().clearCookies({ domain: new URL(ISSUER).hostname });
    },
  },
  {
    name: 'inspector callback with nothing to show',
    open: async (page) => {
      await page.goto('/inspect/callback');
      await expect(page.getByText('This page shows the answer to an authorization request')).toBeVisible();
    },
  },
  {
    name: 'inspector callback with an error answer',
    open: async (page) => {
      await page.goto('/inspect/callback?error=access_denied&state=unknown');
      await expect(page.getByRole('list', { name: 'Callback checks' })).toBeVisible();
    },
  },
  {
    name: 'sign-in page after the browser deleted the stored sign-in (eviction notice)',
    open: async (page) => {
      // The server's marker cookie survives what Safari deletes; nothing is stored in this browser.
      await page
        .context()
        .addCookies([{ name: 'fp_signed_in', value: '1.2026-11-01.2026-11-02', url: APP_ORIGIN, httpOnly: true }]);
      await page.goto('/sign-in');
      await expect(page.getByTestId('eviction-notice')).toBeVisible();
      await page.context().clearCookies({ name: 'fp_signed_in' });
    },
  },
  {
    name: 'error page (404)',
    open: async (page) => {
      await page.goto('/no-such-page');
      await expect(page.getByRole('heading', { name: 'There is no page here' })).toBeVisible();
    },
  },
];

const SIGNED_IN_STATES: PageState[] = [
  {
    name: 'home, signed in with data loaded',
    open: async (page) => {
      await page.goto('/');
      await expect(signedInHeading(page)).toBeVisible();
      await expect(page.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible();
      await expect(page.getByRole('table')).toHaveCount(2);
      await expect(page.getByRole('region', { name: 'New work order' }).getByLabel('Job title')).toBeVisible();
    },
  },
  {
    name: 'home, searching the saved lists',
    open: async (page) => {
      await page.goto('/');
      await expect(page.getByRole('cell', { name: 'Harbourside Medical Centre' })).toBeVisible();
      await page.getByLabel('Find a job, customer or asset').fill('harbourside');
      await expect(page.getByRole('list', { name: 'Search results' }).getByRole('link').first()).toBeVisible();
    },
  },
  {
    name: 'account',
    open: async (page) => {
      await page.goto('/account');
      await expect(page.getByRole('heading', { level: 1, name: 'Account' })).toBeVisible();
      await expect(page.getByRole('list', { name: 'Granted permissions' })).toBeVisible();
    },
  },
  {
    name: 'integrations, with a partner list loaded',
    open: async (page) => {
      await page.goto('/integrations');
      await page.getByRole('button', { name: 'Load /entities' }).click();
      await expect(page.getByRole('list', { name: 'fenergo /entities' })).toBeVisible();
    },
  },
  {
    name: 'inspector, signed in',
    open: async (page) => {
      await page.goto('/inspect');
      await expect(page.getByRole('heading', { name: 'OAuth inspector' })).toBeVisible();
    },
  },
  {
    name: 'a job, with the reason to put it on hold being typed',
    open: async (page) => {
      await page.goto(`/jobs/${await officeCreatesJob(page, 'Belt inspection')}`);
      await page.getByRole('button', { name: 'Start' }).click();
      await expect(page.getByTestId('job-change-state')).toHaveText(['Sent']);
      await page.getByRole('button', { name: 'Put on hold' }).click();
      await expect(page.getByLabel('Why is the job on hold?')).toBeVisible();
    },
  },
  {
    name: 'a job whose change met the office’s, both versions shown',
    open: async (page) => {
      const id = await officeCreatesJob(page, 'Pump seal');
      await page.goto(`/jobs/${id}`);
      await expect(page.getByRole('button', { name: 'Start' })).toBeVisible();
      const office = await page.request.put(`${ISSUER}/__sandbox/work-orders/${id}`, { data: { status: 'completed' } });
      expect(office.status()).toBe(200);
      await page.getByRole('button', { name: 'Start' }).click();
      await expect(page.getByTestId('conflict')).toBeVisible();
    },
  },
  {
    // Last: it leaves the device offline, with a work order waiting in the outbox.
    name: 'home, offline, with a work order waiting to be sent',
    open: async (page) => {
      await page.goto('/');
      await expect(page.getByRole('cell', { name: 'Harbourside Medical Centre' })).toBeVisible();
      await page.context().setOffline(true);
      const form = page.getByRole('region', { name: 'New work order' });
      await form.getByLabel('Job title').fill('Replace filter');
      await form.getByLabel('Customer', { exact: true }).selectOption({ label: 'Harbourside Medical Centre' });
      await form.getByRole('button', { name: 'Save work order' }).click();
      await expect(page.getByTestId('outbox-status').first()).toHaveText('Waiting to be sent (offline)');
    },
  },
];

/**
 * Axe's serious and critical violations, one readable line per element. Every rule axe runs by
 * default: WCAG 2.0–2.2 A and AA (2.2's target-size included) and its best practices.
 */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) =>
      v.nodes.map((node) => `${v.id} (${v.impact}) at ${node.target.join(' ')}: ${v.help} — ${node.failureSummary}`),
    );
}

/**
 * Every visible control smaller than 44×44 CSS px (WCAG 2.5.5 / 2.5.8): buttons, links, inputs,
 * selects, summaries; a checkbox or radio counts with its label, which is what a finger hits. Links
 * inside running text are exempt (WCAG 2.5.8's inline exception).
 */
async function measureTargets(page: Page, min: number): Promise<{ offenders: string[]; smallest: number }> {
  return page.evaluate((min) => {
    // Controls inside closed <details> count too: open them all first.
    for (const details of document.querySelectorAll('details')) details.open = true;
    const describe = (el: Element) => {
      const label = (el as HTMLInputElement).labels?.[0]?.textContent;
      const text = (el.getAttribute('aria-label') ?? label ?? el.textContent ?? '')
        .trim()
        .replace(/\s+/g, ' ')
        .slice(0, 40);
      return `${el.tagName.toLowerCase()}${el.getAttribute('type') ? `[type=${el.getAttribute('type')}]` : ''} "${text}"`;
    };
    const isInlineInText = (link: Element) => {
      if (getComputedStyle(link).display !== 'inline') return false;
      let block = link.parentElement;
      while (block && getComputedStyle(block).display === 'inline') block = block.parentElement;
      const own = (link.textContent ?? '').trim().length;
      return !!block && (block.textContent ?? '').trim().length > own;
    };
    const offenders: string[] = [];
    let smallest = Infinity;
    const selector =
      'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex="-1"])';
    for (const el of document.querySelectorAll(selector)) {
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      let box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      if (el.tagName === 'A' && isInlineInText(el)) continue;
      const type = el.getAttribute('type');
      if (el.tagName === 'INPUT' && (type === 'checkbox' || type === 'radio')) {
        const label = el.closest('label') ?? (el.id ? document.querySelector(`label[for="${el.id}"]`) : null);
        if (label) {
          const area = label.getBoundingClientRect();
          if (area.width * area.height > box.width * box.height) box = area;
        }
      }
      smallest = Math.min(smallest, box.width, box.height);
      // Sub-pixel layout: 43.99 is 44.
      if (Math.round(box.width) < min || Math.round(box.height) < min) {
        offenders.push(`${describe(el)} is ${box.width.toFixed(1)}×${box.height.toFixed(1)}`);
      }
    }
    return { offenders, smallest };
  }, min);
}

/** How far the page scrolls sideways: 0 when nothing sticks out of the layout viewport. */
async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Tablet sizes, portrait and landscape: the device's own on an emulated tablet, common ones on desktop. */
function tabletSizes(viewport: { width: number; height: number } | null) {
  if (test.info().project.use.hasTouch && viewport) {
    const { width, height } = viewport;
    return [
      { width: Math.min(width, height), height: Math.max(width, height) },
      { width: Math.max(width, height), height: Math.min(width, height) },
    ];
  }
  return [
    { width: 768, height: 1024 },
    { width: 1024, height: 768 },
    { width: 800, height: 1280 },
    { width: 1280, height: 800 },
  ];
}

test.describe('axe finds no serious or critical violations', () => {
  for (const state of SIGNED_OUT_STATES) {
    test(state.name, async ({ page }) => {
      await state.open(page);
      const violations = await seriousViolations(page);
      expect(violations, `axe on ${state.name}:\n${violations.join('\n')}`).toEqual([]);
    });
  }

  test('signed-in pages', async ({ page }) => {
    await signIn(page, { tick: ['write:work-orders'] });
    await expect(signedInHeading(page)).toBeVisible();
    for (const state of SIGNED_IN_STATES) {
      await state.open(page);
      const violations = await seriousViolations(page);
      expect(violations, `axe on ${state.name}:\n${violations.join('\n')}`).toEqual([]);
    }
  });
});

test(
  'every control is at least 44×44 px and no page scrolls sideways, in portrait and landscape',
  { tag: '@device' },
  async ({ page, viewport }) => {
    test.setTimeout(180_000);
    // On the tablet projects, touch emulation is really on.
    if (test.info().project.use.hasTouch)
      expect(await page.evaluate(() => navigator.maxTouchPoints)).toBeGreaterThan(0);
    const sizes = tabletSizes(viewport);
    const problems: string[] = [];
    let smallest = Infinity;
    const measure = async (state: PageState) => {
      await state.open(page);
      for (const size of sizes) {
        await page.setViewportSize(size);
        // Let the layout settle at the new size before measuring.
        await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
        const where = `${state.name} at ${size.width}×${size.height}`;
        const targets = await measureTargets(page, MIN_TARGET);
        for (const offender of targets.offenders) problems.push(`${where}: ${offender}`);
        smallest = Math.min(smallest, targets.smallest);
        const overflow = await horizontalOverflow(page);
        if (overflow > 0) problems.push(`${where}: the page scrolls sideways by ${overflow} px`);
      }
    };
    for (const state of SIGNED_OUT_STATES) await measure(state);
    await signIn(page, { tick: ['write:work-orders'] });
    await expect(signedInHeading(page)).toBeVisible();
    for (const state of SIGNED_IN_STATES) await measure(state);

    test.info().annotations.push({ type: 'smallest control side (px)', description: smallest.toFixed(1) });
    console.log(`[a11y] ${test.info().project.name}: smallest control side ${smallest.toFixed(1)} px`);
    expect(problems, problems.join('\n')).toEqual([]);
  },
);

test('consent and sign-in by keyboard alone: sensible tab order, visible focus, Space and Enter work', async ({
  page,
}) => {
  await page.goto('/sign-in');
  const consent = page.getByRole('form', { name: 'What may Fieldpass do in your Fentu account?' });
  await expect(consent).toBeVisible();
  const continueButton = page.getByRole('button', { name: 'Continue to Fentu' });
  await expect(continueButton).toBeEnabled();
  const scopes = await consent
    .getByRole('checkbox')
    .evaluateAll((boxes) => boxes.map((b) => (b as HTMLInputElement).value));
  expect(scopes.length).toBeGreaterThanOrEqual(7);

  // Tab from the top of the page, noting what gets focus and whether its focus ring shows.
  await page.locator('body').focus();
  const visited: Array<{ what: string; ring: boolean }> = [];
  for (let i = 0; i < scopes.length + 8; i++) {
    await page.keyboard.press('Tab');
    visited.push(
      await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const style = getComputedStyle(el);
        const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
        const shadow = style.boxShadow !== 'none';
        const what =
          el instanceof HTMLInputElement && el.type === 'checkbox'
            ? `scope:${el.value}`
            : (el.textContent ?? '').trim();
        return { what, ring: el.matches(':focus-visible') && (outline || shadow) };
      }),
    );
    if (visited.at(-1)!.what === 'Cancel') break;
  }
  const order = visited.map((v) => v.what);
  // The header first, then every scope in the order shown, then Continue, then Cancel.
  expect(order.slice(0, 2)).toEqual(['Fieldpass', 'Inspector']);
  expect(order.slice(2, 2 + scopes.length)).toEqual(scopes.map((s) => `scope:${s}`));
  expect(order.slice(2 + scopes.length)).toEqual(['Continue to Fentu', 'Cancel']);
  const noRing = visited.filter((v) => !v.ring).map((v) => v.what);
  expect(noRing, `focused without a visible focus ring: ${noRing.join(', ')}`).toEqual([]);

  // Space ticks and unticks the focused scope.
  const write = page.getByRole('checkbox', { name: /Create\/update work orders/ });
  await write.focus();
  await expect(write).not.toBeChecked();
  await page.keyboard.press('Space');
  await expect(write).toBeChecked();
  await page.keyboard.press('Space');
  await expect(write).not.toBeChecked();

  // Enter on Continue goes to Fentu's (the sandbox's) sign-in page.
  await continueButton.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(`${ISSUER}/**`);

  // The sandbox's own pages, by keyboard too: the email field has focus.
  await expect(page.getByLabel('Email')).toBeFocused();
  await page.keyboard.type(DEMO.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(DEMO.password);
  await page.keyboard.press('Enter');
  const allow = page.getByRole('button', { name: 'Allow' });
  await expect(allow).toBeVisible();
  for (let i = 0; i < 20 && !(await allow.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await expect(allow).toBeFocused();
  await page.keyboard.press('Enter');

  // Back in Fieldpass: the page heading says so, and SvelteKit's live region announces the new page.
  await page.waitForURL(`${APP_ORIGIN}/**`);
  await expect(page.getByRole('heading', { level: 1, name: `Signed in as ${DEMO.name}` })).toBeVisible();
  const announcer = page.locator('#svelte-announcer');
  await expect(announcer).toHaveAttribute('aria-live', /assertive|polite/);
  await expect(announcer).toHaveText(await page.title());
  expect(await page.title()).toContain('Signed in');
});

test('the consent screen and sign-in pages expose names and roles to screen readers', async ({ page }) => {
  await page.goto('/sign-in');
  // While discovery runs, the wait is announced.
  await expect(page.getByRole('button', { name: 'Continue to Fentu' })).toBeVisible();
  const consent = page.getByRole('form', { name: 'What may Fieldpass do in your Fentu account?' });
  await expect(consent.getByRole('heading', { level: 1 })).toBeVisible();
  // Each group of scopes is a fieldset with a legend; each checkbox is named by its plain-words description and its scope.
  for (const [group, description, scope] of [
    ['Work orders', 'View work orders', 'read:work-orders'],
    ['Work orders', 'Create/update work orders', 'write:work-orders'],
    ['Customers', 'View customers', 'read:customers'],
    ['Assets', 'Create/update assets', 'write:assets'],
    ['Administration', 'Full administrative access', 'admin'],
  ]) {
    const box = consent.getByRole('group', { name: group }).getByRole('checkbox', { name: `${description} ${scope}` });
    await expect(box, scope).toHaveCount(1);
  }
  // The admin warning is part of the checkbox's name, so it is read with it.
  await expect(
    consent.getByRole('checkbox', { name: /admin.*Full administrative access to your whole Fentu account/ }),
  ).toHaveCount(1);
  await expect(consent.getByRole('button', { name: 'Continue to Fentu' })).toBeEnabled();
  await expect(consent.getByRole('link', { name: 'Cancel' })).toHaveAttribute('href', '/');

  // Unticking every data permission: the reason Continue is disabled is a status message.
  for (const scope of ['read:work-orders', 'read:customers', 'read:assets']) {
    await consent.getByRole('checkbox', { name: scope }).uncheck();
  }
  await expect(
    page.getByRole('status').filter({ hasText: 'Choose at least one permission for Fentu data to continue.' }),
  ).toBeVisible();
  await expect(consent.getByRole('button', { name: 'Continue to Fentu' })).toBeDisabled();

  // Error states are alerts with a heading that names the problem, and a way forward.
  await page.goto('/callback?code=abc&state=forged');
  const alert = page.getByRole('alert');
  await expect(alert.getByRole('heading', { level: 1, name: 'This sign-in response is not valid' })).toBeVisible();
  await expect(alert).toHaveAccessibleName('This sign-in response is not valid');
  await expect(alert.getByRole('link', { name: 'Start again' })).toBeVisible();
  await page.goto('/no-such-page');
  await expect(page.getByRole('alert').getByRole('heading', { level: 1, name: 'There is no page here' })).toBeVisible();

  // A sign-out notice is a status message.
  await page.goto('/?notice=signed-out');
  await expect(page.getByRole('status')).toContainText('You are signed out');
  await expect(page.getByRole('banner').getByRole('link', { name: 'Sign in' })).toBeVisible();
});
