// `npm run bench -- --soak [seconds]`: five tabs of one browser keep calling the Fentu API through
// short-lived access tokens while the device drops offline at random and, in a storm, tabs are
// reloaded, closed and reopened, or navigated away and back, for a set time. The service worker is
// in control, as on an installed app. Counts what a user would suffer: refreshes, reuse detections
// at the server, and forced sign-outs.

import { chromium } from '@playwright/test';
import { CHROMIUM_LAUNCH as LAUNCH } from '../tests/chromium.js';

const TABS = 5;
const ACCESS_TOKEN_TTL = 8;
const DEMO = { email: 'sam.okafor@fentu.example', password: 'fieldpass' };

const random = (min, max) => min + Math.random() * (max - min);

async function signIn(page, app, issuer) {
  await page.goto(`${app}/sign-in`);
  await page.getByRole('button', { name: 'Continue to Fentu' }).click();
  await page.waitForURL(`${issuer}/**`);
  await page.getByLabel('Email').fill(DEMO.email);
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${app}/**`);
  await page.getByRole('link', { name: 'Quarterly chiller service' }).first().waitFor();
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Signs in on the first tab and opens the others on the app's start page. */
async function openTabs(context, app, issuer) {
  const first = await context.newPage();
  await signIn(first, app, issuer);
  const tabs = [first];
  for (let i = 1; i < TABS; i += 1) {
    const tab = await context.newPage();
    await tab.goto(app);
    await tab.getByRole('link', { name: 'Quarterly chiller service' }).first().waitFor();
    tabs.push(tab);
  }
  return tabs;
}

/** Takes the whole browser offline now and then, for 2 to 15 seconds, until the end. */
async function dropNetwork(run) {
  const { context, tally } = run;
  while (Date.now() < run.endAt) {
    await pause(random(3_000, 12_000));
    if (Date.now() >= run.endAt) break;
    const period = random(2_000, 15_000);
    run.offline = true;
    tally.offlinePeriods += 1;
    tally.offlineSeconds += period / 1000;
    await context.setOffline(true);
    await pause(period);
    await context.setOffline(false);
    run.offline = false;
  }
}

/** One gesture on one tab: a reload, a close and reopen, or a navigation away and back. */
async function gesture(run, index) {
  const { app, context, tabs, tally } = run;
  const kind = Math.floor(random(0, 3));
  if (kind === 0) {
    tally.reloads += 1;
    await tabs[index].reload();
  } else if (kind === 1) {
    tally.closes += 1;
    await tabs[index].close();
    tabs[index] = await context.newPage();
    await tabs[index].goto(app);
  } else {
    tally.navigations += 1;
    await tabs[index].goto(`${app}/inspect`);
    await tabs[index].goto(app);
  }
}

/** Tabs in the middle of a reload, a close and reopen, or a navigation: their callers wait. */
async function storm(run) {
  while (Date.now() < run.endAt) {
    await pause(random(1_000, 4_000));
    if (Date.now() >= run.endAt) break;
    const index = Math.floor(random(0, TABS));
    run.busy.add(index);
    try {
      await gesture(run, index);
    } catch {
      // Offline, a page may not load: the next gesture or the end of the soak tells.
    } finally {
      run.busy.delete(index);
    }
  }
}

/** One tab's user: presses Reload on the work-order list every 0.3 to 1.5 seconds and counts the answers. */
async function callApi(run, index) {
  const { tabs, tally } = run;
  while (Date.now() < run.endAt) {
    const tab = tabs[index];
    const reload = tab.getByRole('button', { name: 'Reload' }).first();
    if (run.busy.has(index) || !(await reload.isVisible().catch(() => false))) {
      // Between gestures, a page without its Reload button is counted at the end if signed out.
    } else if (await reload.isEnabled().catch(() => false)) {
      tally.calls += 1;
      const wasOffline = run.offline;
      const answered = tab
        .waitForResponse((r) => r.url().endsWith('/work-orders') && r.request().method() === 'GET', {
          timeout: 5_000,
        })
        .then(
          () => true,
          () => false,
        );
      await reload.click().catch(() => undefined);
      if (await answered) tally.answered += 1;
      else if (wasOffline || run.offline) tally.failedWhileOffline += 1;
    }
    await pause(random(300, 1_500));
  }
}

/** How many tabs show a signed-in user; a tab reopened at the very end may still be loading, so each gets 10 s. */
async function countSignedIn(tabs) {
  const shown = await Promise.all(
    tabs.map((tab) =>
      tab
        .getByRole('button', { name: 'Sign out' })
        .waitFor({ timeout: 10_000 })
        .then(
          () => true,
          () => false,
        ),
    ),
  );
  return shown.filter(Boolean).length;
}

/** The soak's figures, the server's counts taken as the difference between before and after. */
function figures(seconds, tally, before, after, signedIn) {
  return {
    'soak.seconds': seconds,
    'soak.tabs': TABS,
    'soak.accessTokenTtlSeconds': ACCESS_TOKEN_TTL,
    'soak.offlinePeriods': tally.offlinePeriods,
    'soak.offlineSeconds': tally.offlineSeconds,
    'soak.reloads': tally.reloads,
    'soak.closedAndReopened': tally.closes,
    'soak.navigatedAwayAndBack': tally.navigations,
    'soak.apiCalls': tally.calls,
    'soak.apiCallsAnswered': tally.answered,
    'soak.apiCallsFailedOffline': tally.failedWhileOffline,
    'soak.refreshes': after.token.refresh.succeeded - before.token.refresh.succeeded,
    'soak.refreshesRejected': after.token.refresh.rejected - before.token.refresh.rejected,
    'soak.reuseDetections': after.token.refresh.reuseDetected - before.token.refresh.reuseDetected,
    'soak.forcedSignOuts': TABS - signedIn,
    'soak.tabsSignedInAtEnd': signedIn,
  };
}

/** Runs the soak for `seconds` against a running app and sandbox; returns its figures. */
export async function soak({ app, issuer, seconds }) {
  const stats = () => fetch(`${issuer}/__sandbox/stats`).then((r) => r.json());
  await fetch(`${issuer}/__sandbox/settings`, {
    method: 'PUT',
    body: JSON.stringify({ accessTokenTtl: ACCESS_TOKEN_TTL }),
  });
  const browser = await chromium.launch(LAUNCH);
  const context = await browser.newContext();
  const tally = {
    calls: 0,
    answered: 0,
    failedWhileOffline: 0,
    offlinePeriods: 0,
    offlineSeconds: 0,
    reloads: 0,
    closes: 0,
    navigations: 0,
  };
  try {
    const tabs = await openTabs(context, app, issuer);
    const before = await stats();
    const run = { app, context, tabs, tally, endAt: Date.now() + seconds * 1000, offline: false, busy: new Set() };
    await Promise.all([dropNetwork(run), storm(run), ...tabs.map((_, index) => callApi(run, index))]);
    await context.setOffline(false);
    // Give every tab the chance to recover after the last offline period, then count who is signed in.
    await pause(3_000);
    const after = await stats();
    return figures(seconds, tally, before, after, await countSignedIn(tabs));
  } finally {
    await browser.close();
  }
}
