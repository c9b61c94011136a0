import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { FieldpassError } from '../base/errors.js';
import { createMemoryStore } from '../base/memory-store.js';
import { createProfileStore, exportProfiles } from '../inspect/profiles.js';
import { sandboxProfile } from '../inspect/profile-templates.js';
import { Inspector, type RouteCall } from './inspector.svelte.js';
import { messageFor } from './messages.js';

const ORIGIN = 'http://127.0.0.1:4173';
/** What a defect's own message might carry: never for the page. */
const RAW = 'IDBObjectStore.put: internal detail at line 42';

/** The page's one line for a code: its title, then what to do. */
function lineFor(code: FieldpassError['code']): string {
  const { title, text } = messageFor(new FieldpassError(code, ''));
  return `${title}. ${text}`;
}

/** A memory store whose writes fail with `failure`. */
function failingStore(failure: unknown) {
  const store = createMemoryStore();
  store.set = () => Promise.reject(failure);
  return store;
}

function inspectorOver(store = createMemoryStore(), callRoute?: RouteCall): Inspector {
  return new Inspector({ origin: ORIGIN, runtime: { store }, callRoute });
}

beforeEach(() => {
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('saving a profile', () => {
  test('an unexpected error: the message for its code, never its own words, which go to the console', async () => {
    const inspector = inspectorOver(failingStore(new Error(RAW)));
    await inspector.save();
    expect(inspector.problem).toBe(lineFor('UNEXPECTED'));
    expect(inspector.problem).not.toContain(RAW);
    expect(console.error).toHaveBeenCalledWith(expect.any(String), expect.objectContaining({ message: RAW }));
  });

  test('storage the browser refuses: the message for STORAGE_UNAVAILABLE', async () => {
    const inspector = inspectorOver(failingStore(new FieldpassError('STORAGE_UNAVAILABLE', RAW)));
    await inspector.save();
    expect(inspector.problem).toBe(lineFor('STORAGE_UNAVAILABLE'));
  });

  test('a field that fails its rule: the words of the check that found it', async () => {
    const inspector = inspectorOver();
    inspector.profile.issuer = 'not an address';
    const refused = await createProfileStore(createMemoryStore())
      .save({ ...sandboxProfile(ORIGIN), issuer: 'not an address' })
      .catch((err: FieldpassError) => err);
    await inspector.save();
    expect(refused).toBeInstanceOf(FieldpassError);
    expect(inspector.problem).toBe((refused as FieldpassError).message);
    expect(console.error).not.toHaveBeenCalled();
  });

  test('a profile that validates is stored and listed', async () => {
    const inspector = inspectorOver();
    await inspector.save();
    expect(inspector.problem).toBeUndefined();
    expect(inspector.saved.map((p) => p.id)).toEqual([inspector.profile.id]);
  });
});

test('an import the store cannot keep names each profile with the message for its code, not the raw error', async () => {
  const inspector = inspectorOver(failingStore(new TypeError(RAW)));
  await inspector.importAll(exportProfiles([sandboxProfile(ORIGIN)]));
  expect(inspector.problem).toBe(`Not imported: “Local sandbox”: ${lineFor('UNEXPECTED')}`);
  expect(inspector.importNotice).toBe('Import: nothing was stored.');
});

describe('the client-credentials tester', () => {
  function testerWith(callRoute: RouteCall): Inspector {
    const inspector = inspectorOver(createMemoryStore(), callRoute);
    inspector.choose('fenergo-saas');
    inspector.profile.m2mProvider = 'fenergo';
    return inspector;
  }

  test.each([
    ['an unexpected error', new TypeError(RAW), 'UNEXPECTED'],
    ['no answer from the route', new FieldpassError('NETWORK', RAW, { url: `${ORIGIN}/api/m2m-token` }), 'NETWORK'],
  ] as const)('%s: the message for its code, never the raw message', async (_, failure, code) => {
    const inspector = testerWith(() => Promise.reject(failure));
    await inspector.testClientCredentials();
    expect(inspector.ccProblem).toEqual({ failure: lineFor(code) });
    expect(inspector.busy).toBeUndefined();
  });

  test('the route’s own answer: its code, description and status are kept for "the route said"', async () => {
    const details = { error: 'upstream_auth_failed', description: 'The provider refused.', status: 502 };
    const inspector = testerWith(() => Promise.reject(new FieldpassError('API_ERROR', RAW, details)));
    await inspector.testClientCredentials();
    expect(inspector.ccProblem).toEqual({
      error: 'upstream_auth_failed',
      message: 'The provider refused.',
      status: 502,
      failure: lineFor('API_ERROR'),
    });
  });

  test('a token through the route: the masked answer, and the request names the provider', async () => {
    const calls: Array<[string, unknown]> = [];
    const inspector = testerWith(async (url, request) => {
      calls.push([url, request]);
      return { status: 200, body: { access_token: 'eyJ…abcd', cached: false } } as never;
    });
    await inspector.testClientCredentials();
    expect(calls).toEqual([[`${ORIGIN}/api/m2m-token`, { path: '/fenergo', method: 'POST' }]]);
    expect(inspector.ccResult).toEqual({ access_token: 'eyJ…abcd', cached: false });
    expect(inspector.ccProblem).toBeUndefined();
  });
});

test('a delete the store refuses: the profile stays listed, and the page says so in the words for its code', async () => {
  const store = createMemoryStore();
  const inspector = inspectorOver(store);
  await inspector.save();
  store.del = () => Promise.reject(new Error(RAW));
  await inspector.remove();
  expect(inspector.problem).toBe(`Not deleted: ${lineFor('UNEXPECTED')}`);
  expect(inspector.notice).not.toMatch(/^Deleted/);
  expect(inspector.saved.map((p) => p.id)).toEqual([inspector.profile.id]);
});
