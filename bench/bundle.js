// The OAuth core's size on its own: one minified ESM bundle, built with the same Vite (rolldown
// and its minifier) as the app, nothing external, gzip -9.
//
// What counts as the core (decided here, documented in the README):
//   src/lib/oauth/**        the protocol: discovery, PKCE sign-in, code exchange, refresh with
//                           rotation, revocation, DPoP (keys, proofs, nonces), the API client,
//                           client config parsing, errors and their classification, scopes
//   src/lib/storage/**      IndexedDB through idb-keyval, AES-GCM sealing
//   src/lib/base/{errors,http,lock,record-store}.ts
//                           the foundations below both: the error type, request options and
//                           retry timing, the lock, the store's shape
//   src/lib/app/runtime.ts
//                           the browser wiring of those: Web Locks, the sealed store,
//                           BroadcastChannel between tabs
// plus what they import from oauth4webapi and idb-keyval. Not the core: Svelte components and
// the app's reactive state (src/lib/app/*.svelte.ts), SvelteKit, the inspector.
// Every export of every core module is kept, so this is the whole core, not what one page uses.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { attribute } from './attribution.js';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const ROOT = resolve(import.meta.dirname, '..');
const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.includes('.test-util.');

export const CORE_FILES = [
  ...readdirSync(join(ROOT, 'src/lib/oauth'))
    .filter(isSource)
    .map((f) => `src/lib/oauth/${f}`),
  ...readdirSync(join(ROOT, 'src/lib/storage'))
    .filter(isSource)
    .map((f) => `src/lib/storage/${f}`),
  // The foundations the core stands on: its error type, request options and retry timing, the
  // lock, the record store's shape.
  'src/lib/base/errors.ts',
  'src/lib/base/http.ts',
  'src/lib/base/lock.ts',
  'src/lib/base/record-store.ts',
  'src/lib/app/runtime.ts',
].sort();

export const gzipSize = (bytes) => gzipSync(bytes, { level: 9 }).length;

/**
 * Builds `code` (an ES module, imports resolved from the project root) minified; returns its bytes
 * and its modules' sizes before minifying (module path relative to the project → bytes).
 */
async function bundle(code) {
  const id = '\0bench-entry.js';
  const result = await build({
    root: ROOT,
    configFile: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'bench-entry',
        enforce: 'pre',
        resolveId: (source) => (source.endsWith('bench-entry') ? id : undefined),
        load: (source) => (source === id ? code : undefined),
      },
    ],
    build: {
      write: false,
      minify: true,
      sourcemap: false,
      // An ordinary (app) build of one entry rather than library mode, which leaves whitespace in
      // ES output: the same full minification the app's own chunks get. Every export is kept.
      modulePreload: false,
      rolldownOptions: { input: 'bench-entry', preserveEntrySignatures: 'strict', external: [] },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => r.output);
  const chunks = outputs.filter((o) => o.type === 'chunk');
  if (chunks.length !== 1) throw new Error(`expected one chunk, got ${chunks.length}`);
  const modules = Object.entries(chunks[0].modules)
    .filter(([id]) => !id.includes('bench-entry'))
    .map(([id, info]) => [relative(ROOT, id), info.renderedLength]);
  return { bytes: Buffer.from(chunks[0].code), modules: Object.fromEntries(modules) };
}

/** A core module's short name for the breakdown: `oauth/session.ts`, `oauth4webapi`. */
export function moduleLabel(id) {
  const path = id.replaceAll('\\', '/');
  const library = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  return library ? library[1] : path.replace(/^.*src\/lib\//, '');
}

/** The names the core uses from a library: `oauth.x` for a namespace import, `{ x }` for named ones. */
function usedImports(library, runtimeExports) {
  const used = new Set();
  for (const file of CORE_FILES) {
    const source = readFileSync(join(ROOT, file), 'utf8');
    const namespace = new RegExp(`import \\* as (\\w+) from '${library}'`).exec(source)?.[1];
    if (namespace) for (const m of source.matchAll(new RegExp(`\\b${namespace}\\.(\\w+)`, 'g'))) used.add(m[1]);
    const named = new RegExp(`import \\{([^}]*)\\} from '${library}'`).exec(source)?.[1];
    if (named) for (const part of named.split(',')) used.add(part.replace(/^\s*type\s+/, '').trim());
  }
  // Type-only names (oauth.Client, UseStore) have no value to bundle.
  return [...used].filter((name) => name && name in runtimeExports).sort();
}

/** Gzip -9 bytes of the core, and of oauth4webapi + idb-keyval alone (what the core imports of them). */
export async function coreFigures() {
  const entry = CORE_FILES.map((file) => `export * from ${JSON.stringify(join(ROOT, file))};`).join('\n');
  const { bytes: core, modules } = await bundle(entry);
  const oauthNames = usedImports('oauth4webapi', await import('oauth4webapi'));
  const idbNames = usedImports('idb-keyval', await import('idb-keyval'));
  const { bytes: libraries } = await bundle(
    `export { ${oauthNames.join(', ')} } from 'oauth4webapi';\nexport { ${idbNames.join(', ')} } from 'idb-keyval';`,
  );
  const gzip = gzipSize(core);
  return {
    files: CORE_FILES,
    libraryNames: { oauth4webapi: oauthNames, 'idb-keyval': idbNames },
    core: { minified: core.length, gzip },
    // The core's gzip bytes shared among its modules by their sizes before minifying: an estimate.
    byModule: attribute({ core: gzip }, { core: modules }, moduleLabel),
    libraries: { minified: libraries.length, gzip: gzipSize(libraries) },
  };
}
