import { expect, test as base, type APIRequestContext, type BrowserContext, type Page } from '@playwright/test';
import type { Locator, Request } from '@playwright/test';
import { DPOP_KEY } from '#lib/oauth/dpop.ts';
import { AAD_PREFIX, DATABASE_NAME, KEY_PREFIX, STORE_NAME } from '#lib/base/record-names.ts';
import { SEALING_KEY } from '#lib/storage/sealed-store.ts';
import { APP_ORIGIN, CANARY, DEMO, ISSUER } from './harness';

/** The sandbox's counters (sandbox/stats.js), read through its admin API. */
export interface SandboxStats {
  authorization: { requests: number; approved: number; denied: number };
  pushedAuthorization: { requests: number; nonceChallenges: number; errors: Record<string, number> };
  token: {
    requests: number;
    byGrantType: Record<string, number>;
    nonceChallenges: number;
    errors: Record<string, number>;
    refreshTimes: number[];
    refresh: { succeeded: number; rejected: number; reuseDetected: number; graceReplays: number };
  };
  revocation: { requests: number; byHint: Record<string, number> };
  grantsRevoked: number;
  api: { requests: number; byStatus: Record<string, number>; byRoute: Record<string, number> };
  clientCredentials: {
    byClient: Record<string, number>;
    lastRequest: Record<
      string,
      { authorization: string | null; contentType: string | null; body: string; status: number }
    >;
    issued: Record<string, string[]>;
  };
  m2m: { requests: number; byStatus: Record<string, number>; byRoute: Record<string, number> };
  refreshTokens: { active: number; consumed: number };
}

export async function sandboxStats(request: APIRequestContext): Promise<SandboxStats> {
  const response = await request.get(`${ISSUER}/__sandbox/stats`);
  expect(response.ok()).toBe(true);
  return response.json();
}

/** The sandbox's pushed authorization request endpoint (RFC 9126), as its discovery document names it. */
export const PAR_ENDPOINT = `${ISSUER}/request`;

/**
 * The parameters of an authorization request as the browser sent them: the form it pushed to the
 * PAR endpoint, or the query of a request to /authorize that was not pushed. Undefined for any
 * other request, the /authorize that carries a pushed request's request_uri included.
 */
export function authorizationParams(request: Request): URLSearchParams | undefined {
  const url = new URL(request.url());
  if (request.method() === 'POST' && url.href === PAR_ENDPOINT) return new URLSearchParams(request.postData() ?? '');
  if (`${url.origin}${url.pathname}` === `${ISSUER}/authorize` && !url.searchParams.has('request_uri')) {
    return url.searchParams;
  }
  return undefined;
}

/** The parameters of the next authorization request the page makes (see `authorizationParams`). */
export async function nextAuthorizationParams(page: Page): Promise<URLSearchParams> {
  return authorizationParams(await page.waitForRequest((r) => authorizationParams(r) !== undefined))!;
}

/** Changes the sandbox's token lifetimes or rate limit until the next test. */
export async function configureSandbox(request: APIRequestContext, settings: Record<string, number>): Promise<void> {
  const response = await request.put(`${ISSUER}/__sandbox/settings`, { data: settings });
  expect(response.ok()).toBe(true);
}

/** Presents a refresh token to the sandbox's token endpoint, as an attacker holding a copy would. */
export async function presentRefreshToken(request: APIRequestContext, refreshToken: string) {
  const response = await request.post(`${ISSUER}/token`, {
    form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'fieldpass' },
  });
  return { status: response.status(), body: (await response.json()) as { error?: string; error_description?: string } };
}

/** What `fetchWithProof` sends: a token-endpoint form, or an API call with an access token. */
interface ProofRequest {
  url: string;
  method: 'GET' | 'POST';
  form?: Record<string, string>;
  /** Sent as `Authorization: DPoP <token>`, with the proof's `ath` (RFC 9449 §7). */
  accessToken?: string;
  /** Sign with a key of the caller's own instead of the app's, as a thief holding a copy would. */
  otherKey?: boolean;
}

/**
 * A DPoP proof (RFC 9449) for `method` and `url`, signed in the page by the app's stored key
 * (which cannot be exported, only used there) or, with `otherKey`, by a fresh key; with the
 * access token's `ath` and the server's `nonce` when given.
 */
export async function dpopProof(page: Page, request: Omit<ProofRequest, 'form'> & { nonce?: string }): Promise<string> {
  const storage = { database: DATABASE_NAME, store: STORE_NAME, dpopKey: DPOP_KEY };
  return page.evaluate(
    async ({ url, method, accessToken, otherKey, nonce, storage }) => {
      const b64u = (bytes: ArrayBuffer | Uint8Array) =>
        btoa(String.fromCharCode(...new Uint8Array(bytes)))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '');
      const text = (value: unknown) => b64u(new TextEncoder().encode(JSON.stringify(value)));
      const pair = await new Promise<CryptoKeyPair>((resolve, reject) => {
        const open = indexedDB.open(storage.database);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction(storage.store).objectStore(storage.store).get(storage.dpopKey);
          get.onsuccess = () => resolve(get.result as CryptoKeyPair);
          get.onerror = () => reject(get.error);
        };
      });
      const signer = otherKey
        ? await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
        : pair;
      const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', signer.publicKey);
      const ath = accessToken
        ? b64u(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)))
        : undefined;
      const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } };
      const target = new URL(url);
      const claims = {
        jti: crypto.randomUUID(),
        htm: method,
        htu: `${target.origin}${target.pathname}`,
        iat: Math.floor(Date.now() / 1000),
        nonce,
        ath,
      };
      const input = `${text(header)}.${text(claims)}`;
      const signature = await crypto.subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        signer.privateKey,
        new TextEncoder().encode(input),
      );
      return `${input}.${b64u(signature)}`;
    },
    { ...request, storage },
  );
}

/**
 * Makes a request from the page with a DPoP proof (see `dpopProof`); answers a DPoP nonce
 * challenge once. Returns the status and JSON body.
 */
export async function fetchWithProof(page: Page, request: ProofRequest) {
  const send = async (nonce?: string) => {
    const proof = await dpopProof(page, { ...request, nonce });
    return page.evaluate(
      async ({ url, method, form, accessToken, proof }) => {
        const headers: Record<string, string> = { dpop: proof };
        if (accessToken) headers.authorization = `DPoP ${accessToken}`;
        if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
        const response = await fetch(url, { method, headers, body: form ? new URLSearchParams(form) : undefined });
        // Every body is read: Playwright's record of a response waits for it.
        return { status: response.status, nonce: response.headers.get('dpop-nonce'), text: await response.text() };
      },
      { ...request, proof },
    );
  };
  let answer = await send();
  if (answer.nonce && (answer.status === 400 || answer.status === 401)) answer = await send(answer.nonce);
  return { status: answer.status, body: JSON.parse(answer.text) as { error?: string } };
}

/** Presents a refresh token to the sandbox with a DPoP proof (see `fetchWithProof`). */
export async function presentRefreshTokenFromApp(
  page: Page,
  refreshToken: string,
  options: { otherKey?: boolean } = {},
) {
  return fetchWithProof(page, {
    url: `${ISSUER}/token`,
    method: 'POST',
    form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'fieldpass' },
    otherKey: options.otherKey,
  });
}

/**
 * The records in the app's IndexedDB database (or `database`, such as the inspector's
 * `fieldpass-inspector`), keyed by record name; `{}` when the app has not created it (opening it
 * here would create an empty one the app could then not set up).
 */
export async function idbRecords(page: Page, database = DATABASE_NAME): Promise<Record<string, unknown>> {
  return page.evaluate(
    async ({ database, store }) => {
      if (!(await indexedDB.databases()).some((d) => d.name === database)) return {};
      return new Promise<Record<string, unknown>>((resolve, reject) => {
        const open = indexedDB.open(database);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains(store)) return resolve({});
          const out: Record<string, unknown> = {};
          const cursor = db.transaction(store).objectStore(store).openCursor();
          cursor.onsuccess = () => {
            const c = cursor.result;
            if (!c) return resolve(out);
            out[String(c.key)] = c.value;
            c.continue();
          };
        };
      });
    },
    { database, store: STORE_NAME },
  );
}

/** The app's records without its keys (`key:aes`, `key:dpop`), which stay on the device across sign-outs. */
export async function appRecords(page: Page): Promise<Record<string, unknown>> {
  const records = await idbRecords(page);
  return Object.fromEntries(Object.entries(records).filter(([name]) => !name.startsWith(KEY_PREFIX)));
}

/**
 * Opens (or, with `seal`, writes) one sealed record in the page, with the database's own AES-GCM
 * key, which cannot be exported, only used there. The format is the twin of `createSealedStore` in
 * src/lib/storage/sealed-store.ts: `{ sealed: 1, iv, data }`, AES-GCM over the record's JSON with a
 * 12-byte IV and `AAD_PREFIX` + the record's name as additional data. A change to one is a change
 * to both.
 */
async function sealedRecordInPage(
  page: Page,
  record: { database: string; name: string; seal?: { value: unknown } },
): Promise<Record<string, unknown> | undefined> {
  return page.evaluate(
    async ({ database, name, seal, store, sealingKey, aadPrefix }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(database);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const read = (key: string) =>
        new Promise<unknown>((resolve, reject) => {
          const get = db.transaction(store).objectStore(store).get(key);
          get.onsuccess = () => resolve(get.result);
          get.onerror = () => reject(get.error);
        });
      const key = (await read(sealingKey)) as CryptoKey;
      const algorithm = (iv: Uint8Array<ArrayBuffer>) => ({
        name: 'AES-GCM',
        iv,
        additionalData: new TextEncoder().encode(`${aadPrefix}${name}`),
      });
      if (!seal) {
        const sealed = (await read(name)) as { iv: Uint8Array<ArrayBuffer>; data: ArrayBuffer };
        const plain = await crypto.subtle.decrypt(algorithm(sealed.iv), key, sealed.data);
        return JSON.parse(new TextDecoder().decode(plain)) as Record<string, unknown>;
      }
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const data = await crypto.subtle.encrypt(
        algorithm(iv),
        key,
        new TextEncoder().encode(JSON.stringify(seal.value)),
      );
      await new Promise<void>((resolve, reject) => {
        const transaction = db.transaction(store, 'readwrite');
        transaction.objectStore(store).put({ sealed: 1, iv, data }, name);
        transaction.oncomplete = () => resolve();
        transaction.onerror = () => reject(transaction.error);
      });
      return undefined;
    },
    { ...record, store: STORE_NAME, sealingKey: SEALING_KEY, aadPrefix: AAD_PREFIX },
  );
}

/**
 * A sealed record, opened in the page with the app's own AES-GCM key; from `database`, with that
 * database's key. Undefined when there is none.
 */
export async function openRecord(
  page: Page,
  name: string,
  database = DATABASE_NAME,
): Promise<Record<string, unknown> | undefined> {
  if (!(await idbRecords(page, database))[name]) return undefined;
  return sealedRecordInPage(page, { database, name });
}

/**
 * Writes `value` as a sealed record, sealed in the page with the app's own AES-GCM key the way
 * the app seals it: to stage what an earlier version or another configuration of the app left on
 * the device.
 */
export async function sealRecord(page: Page, name: string, value: unknown): Promise<void> {
  await sealedRecordInPage(page, { database: DATABASE_NAME, name, seal: { value } });
}

/** The stored token set, opened (see `openRecord`). */
export async function storedSession(page: Page): Promise<Record<string, unknown> | undefined> {
  return openRecord(page, 'session');
}

/** Every token response body the page received from the sandbox, in order. */
export function recordTokenResponses(target: Page | BrowserContext): Array<Record<string, string>> {
  const bodies: Array<Record<string, string>> = [];
  target.on('response', async (response) => {
    if (response.url() === `${ISSUER}/token` && response.request().method() === 'POST' && response.ok()) {
      bodies.push(await response.json());
    }
  });
  return bodies;
}

export interface SignInOptions {
  /** Extra scopes to tick on Fieldpass's consent screen. */
  tick?: string[];
  /** Scopes to untick on Fieldpass's consent screen. */
  untick?: string[];
  /** Scopes to untick on the sandbox's own consent page (so the server grants fewer). */
  refuseAtServer?: string[];
  returnTo?: string;
  /** Stop at the sandbox consent page and press Deny. */
  deny?: boolean;
  /** The sandbox account to sign in with, when its login page asks: the demo account by default. */
  account?: { email: string; password: string };
}

/** A tap on the emulated tablets (projects with `hasTouch`), a click elsewhere. */
export async function press(target: Locator): Promise<void> {
  if (base.info().project.use.hasTouch) await target.tap();
  else await target.click();
}

/**
 * Waits for the work orders as just fetched from the API: the row, and no "saved on this device"
 * line, since the saved list from IndexedDB shows at once while the fresh one loads.
 */
export async function freshWorkOrders(page: Page): Promise<void> {
  const panel = page.getByRole('region', { name: 'Work orders' });
  await expect(panel.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible();
  await expect(panel.getByTestId('saved-list')).toHaveCount(0);
}

/** Waits until the app's service worker is active and controls `page` (tests that allow workers). */
export async function serviceWorkerInControl(page: Page): Promise<void> {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}

/** The names of the app's IndexedDB records that start with `prefix`. */
export async function recordNames(page: Page, prefix: string): Promise<string[]> {
  return Object.keys(await idbRecords(page)).filter((name) => name.startsWith(prefix));
}

/**
 * Signs in with the service worker in control and waits until the three lists are saved on the
 * device, so the app and its data are there once the signal goes.
 */
export async function signInWithListsSaved(page: Page): Promise<void> {
  await signIn(page);
  await serviceWorkerInControl(page);
  await expect(page.getByRole('cell', { name: 'Harbourside Medical Centre' })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Carrier AquaForce 30XW' })).toBeVisible();
  await expect.poll(() => recordNames(page, 'cache:')).toHaveLength(3);
}

/**
 * At the sandbox, as a person would: its login page when it shows one (it signs a returning user
 * straight in), then `answer` on its consent page; resolves once the browser is back at `back`.
 */
export async function answerAtSandbox(page: Page, back: string, answer: 'Allow' | 'Deny' = 'Allow'): Promise<void> {
  await page.waitForURL(`${ISSUER}/**`);
  if (await page.getByLabel('Email').isVisible()) {
    await page.getByLabel('Email').fill(DEMO.email);
    await page.getByLabel('Password').fill(DEMO.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.getByRole('button', { name: answer }).click();
  await page.waitForURL(`${back}**`);
}

/** Goes through the whole sign-in as a person would: consent screen, sandbox login, sandbox consent. */
export async function signIn(page: Page, options: SignInOptions = {}): Promise<void> {
  await page.goto(
    options.returnTo === undefined ? '/sign-in' : `/sign-in?returnTo=${encodeURIComponent(options.returnTo)}`,
  );
  for (const scope of options.tick ?? []) await page.getByRole('checkbox', { name: scope }).check();
  for (const scope of options.untick ?? []) await page.getByRole('checkbox', { name: scope }).uncheck();
  await press(page.getByRole('button', { name: 'Continue to Fentu' }));
  await page.waitForURL(`${ISSUER}/**`);
  if (await page.getByLabel('Email').isVisible()) {
    await page.getByLabel('Email').fill((options.account ?? DEMO).email);
    await page.getByLabel('Password').fill((options.account ?? DEMO).password);
    await press(page.getByRole('button', { name: 'Sign in' }));
  }
  for (const scope of options.refuseAtServer ?? []) await page.getByRole('checkbox', { name: scope }).uncheck();
  await press(page.getByRole('button', { name: options.deny ? 'Deny' : 'Allow' }));
  await page.waitForURL(`${APP_ORIGIN}/**`);
}

/** The home page's heading while the demo account is signed in. */
export function signedInHeading(page: Page): Locator {
  return page.getByRole('heading', { name: `Signed in as ${DEMO.name}` });
}

/** `signIn`'s options, and the sandbox's settings for the test (see `configureSandbox`). */
export interface HomeOptions extends SignInOptions {
  sandbox?: Record<string, number>;
}

/**
 * The start most tests share: the sandbox's settings for the test when given, the whole sign-in
 * (see `signIn`), then the home page showing the seeded work order, fetched from the API.
 */
export async function signInToHome(page: Page, { sandbox, ...options }: HomeOptions = {}): Promise<void> {
  if (sandbox) await configureSandbox(page.request, sandbox);
  await signIn(page, options);
  await expect(page.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible();
}

/**
 * Runs `check` again and again for `ms` and fails at the first time it fails: for what must stay
 * true for a while, such as nothing more reaching the sandbox once a session has ended.
 */
export async function holdsFor(ms: number, check: () => Promise<void> | void): Promise<void> {
  const until = Date.now() + ms;
  await check();
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, until - Date.now())));
    await check();
  }
}

/** Fails if `pick` of the sandbox's counters moves from its present value within `ms`. */
export async function expectSandboxSteady(
  request: APIRequestContext,
  pick: (stats: SandboxStats) => unknown,
  ms: number,
): Promise<void> {
  const settled = pick(await sandboxStats(request));
  await holdsFor(ms, async () => expect(pick(await sandboxStats(request))).toEqual(settled));
}

export const test = base.extend<{ resetSandbox: void; noSecretsReachTheBrowser: void }>({
  resetSandbox: [
    async ({ request }, use) => {
      await request.delete(`${ISSUER}/__sandbox/settings`);
      await use();
      await request.delete(`${ISSUER}/__sandbox/settings`);
    },
    { auto: true },
  ],
  // Every test: nothing the browser received — any response body or header, from any origin —
  // contains a configured client secret or a service token the sandbox issued (#81, #82).
  noSecretsReachTheBrowser: [
    async ({ context, request }, use) => {
      const received: Promise<string>[] = [];
      // Tokens the app was given, and everything it logged or put in a URL (#59, #60).
      const issuedTokens: Promise<string[]>[] = [];
      const exposed: string[] = [];
      context.on('console', (message) => exposed.push(message.text()));
      context.on('weberror', (error) => exposed.push(String(error.error().stack ?? error.error())));
      context.on('request', (r) => exposed.push(r.url()));
      context.on('response', (response) => {
        if (response.url() === `${ISSUER}/token` && response.status() === 200) {
          issuedTokens.push(
            response.json().then(
              (body: Record<string, unknown>) =>
                ['access_token', 'refresh_token', 'id_token'].map((k) => body[k]).filter((v) => typeof v === 'string'),
              () => [],
            ),
          );
        }
        received.push(
          // A page closed meanwhile (a navigation, a closed tab) leaves the headers the event carried.
          Promise.all([
            response.allHeaders().catch(() => response.headers()),
            response.body().catch(() => Buffer.alloc(0)),
          ]).then(([headers, body]) => `${JSON.stringify(headers)}\n${body.toString('latin1')}`),
        );
      });
      await use();
      const everything = (await Promise.all(received)).join('\n');
      const serviceTokens = Object.values((await sandboxStats(request)).clientCredentials.issued).flat();
      const basic = (id: string, secret: string) => Buffer.from(`${id}:${secret}`).toString('base64');
      const forbidden = [
        CANARY.fenergoSecret,
        CANARY.fenrisSecret,
        CANARY.introspectionSecret,
        basic('fenris-sandbox', CANARY.fenrisSecret),
        basic('fenris%2Dsandbox', CANARY.fenrisSecret.replace(/-/g, '%2D')),
        ...serviceTokens,
      ];
      for (const secret of forbidden) {
        expect(everything.includes(secret), 'a secret or service token reached the browser').toBe(false);
      }
      const logged = exposed.join('\n');
      for (const token of (await Promise.all(issuedTokens)).flat()) {
        expect(logged.includes(token), 'a token appeared in the console, a page error or a URL').toBe(false);
      }
    },
    { auto: true },
  ],
});

export { expect };
