// The layer rule in eslint.config.js, run on planted sources through ESLint itself.

import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const eslint = new ESLint({
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  overrideConfigFile: 'eslint.config.js',
});

// Loading the configuration and its plugins takes seconds; once, before the cases.
beforeAll(() => eslint.calculateConfigForFile('src/lib/base/planted.ts'), 60_000);

/** The messages of the import rule for `code` as if it were the file at `filePath`. */
async function boundaryErrors(filePath, code) {
  const [result] = await eslint.lintText(`${code}\nexport const planted = 1;\n`, { filePath });
  return result.messages.filter((message) => message.ruleId === 'no-restricted-imports');
}

// [the planted file, the import it makes]
const REFUSED = [
  // base: nothing from the rest of src/lib
  ['src/lib/base/planted.ts', "import { createIdbStore } from '../storage/idb-store.js';"],
  ['src/lib/base/planted.ts', "import { startSignIn } from '$lib/oauth/sign-in.js';"],
  // storage: base only, in every spelling
  ['src/lib/storage/planted.ts', "import { FieldpassError } from '../oauth/errors.js';"],
  ['src/lib/storage/planted.ts', "import { FieldpassError } from '$lib/oauth/errors.js';"],
  ['src/lib/storage/planted.ts', "import { FieldpassError } from '#lib/oauth/errors.ts';"],
  // oauth: base and storage
  ['src/lib/oauth/planted.ts', "import { sessionState } from '../app/session.svelte.js';"],
  ['src/lib/oauth/planted.ts', "import { drainOutbox } from '../offline/outbox.js';"],
  // offline: base, storage, oauth
  ['src/lib/offline/planted.ts', "import { decodeJwt } from '../inspect/tokens.js';"],
  // inspect: base, storage, oauth, catalogs
  ['src/lib/inspect/planted.ts', "import { offlineUserKey } from '../offline/cache.js';"],
  // catalogs: nothing
  ['src/lib/catalogs/planted.ts', "import { FieldpassError } from '../base/errors.js';"],
  // pwa: base, storage, oauth
  ['src/lib/pwa/planted.ts', "import { workerRuntime } from '#lib/app/runtime.ts';"],
  // app: never components or server
  ['src/lib/app/planted.ts', "import Panel from '../components/DataPanel.svelte';"],
  ['src/lib/app/planted.ts', "import { serverConfig } from '$lib/server/config.js';"],
  // components: never server
  ['src/lib/components/planted.ts', "import { serverConfig } from '$lib/server/config.js';"],
  // server: base, oauth, catalogs; never inspect, app or components, types included
  ['src/lib/server/planted.ts', "import { maskToken } from '../inspect/tokens.js';"],
  ['src/lib/server/planted.ts', "import type { ClientEnv } from '../app/config.js';"],
  ['src/lib/server/shared/planted.ts', "import { clientEnv } from '../../app/config.js';"],
  ['src/lib/server/planted.ts', "export { default } from '$lib/components/ErrorPanel.svelte';"],
];

const ALLOWED = [
  ['src/lib/base/planted.ts', "import { FieldpassError } from './errors.js';"],
  ['src/lib/storage/planted.ts', "import { FieldpassError } from '../base/errors.js';"],
  ['src/lib/oauth/planted.ts', "import { SEALING_KEY } from '$lib/storage/sealed-store.js';"],
  ['src/lib/offline/planted.ts', "import { ensureFreshSession } from '#lib/oauth/session.ts';"],
  ['src/lib/inspect/planted.ts', "import { FENERGO_SCOPES } from '../catalogs/fenergo-scopes.js';"],
  ['src/lib/app/planted.ts', "import { lintRedirectUri } from '../inspect/redirect-uri.js';"],
  ['src/lib/app/planted.ts', "import { page } from '$app/state';"],
  ['src/lib/components/planted.ts', "import { sessionState } from '$lib/app/session.svelte.js';"],
  ['src/lib/server/planted.ts', "import { parseClientConfig } from '../oauth/config.js';"],
  ['src/lib/server/planted.ts', "import { env } from '$env/dynamic/private';"],
  ['src/lib/server/shared/planted.ts', "import { redisErrors } from '../metrics.js';"],
];

const FRAMEWORK = [
  "import { tick } from 'svelte';",
  "import { writable } from 'svelte/store';",
  "import { browser } from '$app/environment';",
  "import { env } from '$env/dynamic/public';",
];

describe('the layers of src/lib', () => {
  it.each(REFUSED)('%s may not: %s', async (filePath, code) => {
    const errors = await boundaryErrors(filePath, code);
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toContain(filePath.split('/').slice(0, 3).join('/'));
  });

  it.each(ALLOWED)('%s may: %s', async (filePath, code) => {
    expect(await boundaryErrors(filePath, code)).toEqual([]);
  });
});

describe('the folders that run without the framework', () => {
  const FREE = ['base', 'storage', 'oauth', 'offline', 'inspect', 'catalogs', 'pwa'];
  it.each(FREE.flatMap((folder) => FRAMEWORK.map((code) => [folder, code])))(
    'src/lib/%s refuses %s',
    async (folder, code) => {
      const errors = await boundaryErrors(`src/lib/${folder}/planted.ts`, code);
      expect(errors.map((error) => error.message)).toEqual([expect.stringContaining('no svelte, $app or $env')]);
    },
  );

  it.each(['app', 'components', 'server'])('src/lib/%s may use them', async (folder) => {
    for (const code of FRAMEWORK) expect(await boundaryErrors(`src/lib/${folder}/planted.ts`, code)).toEqual([]);
  });
});
