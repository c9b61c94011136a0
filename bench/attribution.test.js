import { describe, expect, it } from 'vitest';
import { attribute, partOf } from './attribution.js';

describe('partOf', () => {
  it('puts the protocol, storage, their libraries and the browser runtime in the OAuth core', () => {
    expect(partOf('src/lib/oauth/sign-in.ts')).toBe('OAuth core');
    expect(partOf('src/lib/storage/sealed-store.ts')).toBe('OAuth core');
    expect(partOf('src/lib/app/runtime.ts')).toBe('OAuth core');
    expect(partOf('src/lib/base/errors.ts')).toBe('OAuth core');
    expect(partOf('src/lib/base/mask.ts')).toBe('app');
    expect(partOf('../main/node_modules/oauth4webapi/build/index.js')).toBe('OAuth core');
    expect(partOf('node_modules/idb-keyval/dist/index.js')).toBe('OAuth core');
  });

  it('tells Svelte, SvelteKit and the app’s own components apart', () => {
    expect(partOf('../main/node_modules/svelte/src/internal/client/runtime.js')).toBe('Svelte');
    expect(partOf('node_modules/@sveltejs/kit/src/runtime/client/client.js')).toBe('SvelteKit');
    expect(partOf('.svelte-kit/generated/root.svelte')).toBe('SvelteKit');
    expect(partOf('\0vite/preload-helper.js')).toBe('SvelteKit');
    expect(partOf('../main/node_modules/clsx/dist/clsx.mjs')).toBe('Svelte');
    expect(partOf('src/lib/app/session.svelte.ts')).toBe('app');
    expect(partOf('src/routes/callback/+page.svelte')).toBe('app');
  });
});

describe('attribute', () => {
  const chunks = {
    '_app/immutable/chunks/a.js': { 'src/lib/oauth/session.ts': 300, 'node_modules/svelte/src/index.js': 100 },
    '_app/immutable/entry/start.js': { 'node_modules/@sveltejs/kit/src/runtime/client/entry.js': 0 },
  };

  it('shares a chunk’s gzip bytes among its parts by their sizes before minifying', () => {
    expect(attribute({ '/_app/immutable/chunks/a.js': 1000 }, chunks)).toEqual({ 'OAuth core': 750, Svelte: 250 });
  });

  it('gives a chunk of empty modules to them evenly, and an unknown chunk to other', () => {
    expect(attribute({ '/_app/immutable/entry/start.js': 80, '/service-worker.js': 20 }, chunks)).toEqual({
      SvelteKit: 80,
      other: 20,
    });
  });
});

describe('attribute with a grouping of its own', () => {
  it('shares the bytes among the groups the function names', () => {
    const modules = { core: { 'src/lib/oauth/a.ts': 100, 'src/lib/oauth/b.ts': 300 } };
    expect(attribute({ core: 400 }, modules, (id) => id.slice(-4))).toEqual({ 'a.ts': 100, 'b.ts': 300 });
  });
});
