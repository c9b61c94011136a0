// What each page's JavaScript is made of: the build records which modules every browser chunk
// holds and their sizes before minifying (vite.config.ts, chunkModules). A chunk's gzip bytes are
// shared among its modules in proportion to those sizes, so the split is an estimate; the totals
// are exact.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const MODULES = resolve(import.meta.dirname, '../.svelte-kit/output/client/.vite/chunk-modules.json');

/** The part of the app a module belongs to, by its path relative to the project. */
export function partOf(id) {
  const path = id.replaceAll('\\', '/');
  if (/node_modules\/(oauth4webapi|idb-keyval)\//.test(path)) return 'OAuth core';
  if (
    /^src\/lib\/(oauth|storage)\//.test(path) ||
    /^src\/lib\/(base\/(errors|http|lock|record-store)|app\/runtime)\.ts$/.test(path)
  ) {
    return 'OAuth core';
  }
  // Svelte's runtime, and clsx, which it uses for class attributes.
  if (/node_modules\/(svelte|clsx)\//.test(path)) return 'Svelte';
  // SvelteKit's client, its generated code, and the bundler's virtual modules (preload helper, env).
  if (/node_modules\/@sveltejs\/kit\//.test(path) || path.startsWith('.svelte-kit/') || path.startsWith('\0')) {
    return 'SvelteKit';
  }
  if (path.startsWith('src/')) return 'app';
  return 'other';
}

/** The chunk records of the last build, or undefined when the build did not write them. */
export function readChunkModules() {
  return existsSync(MODULES) ? JSON.parse(readFileSync(MODULES, 'utf8')) : undefined;
}

/**
 * Splits a page's gzip bytes (`gzipByPath`: URL path → bytes) among the parts of the app, given
 * the build's chunk records (`chunks`: chunk file → module → size before minifying). `groupOf`
 * names the part a module id belongs to (by default `partOf`). A chunk the records do not know is
 * counted as 'other'. Parts are rounded to whole bytes.
 */
export function attribute(gzipByPath, chunks, groupOf = partOf) {
  const parts = {};
  for (const [path, gzip] of Object.entries(gzipByPath)) {
    const modules = Object.entries(chunks[path.replace(/^\//, '')] ?? {});
    if (modules.length === 0) {
      parts.other = (parts.other ?? 0) + gzip;
      continue;
    }
    // A chunk of nothing but re-exports has modules of size 0: its bytes go to them evenly.
    const total = modules.reduce((sum, [, size]) => sum + size, 0);
    for (const [id, size] of modules) {
      const part = groupOf(id);
      parts[part] = (parts[part] ?? 0) + gzip * (total ? size / total : 1 / modules.length);
    }
  }
  return Object.fromEntries(Object.entries(parts).map(([part, bytes]) => [part, Math.round(bytes)]));
}
