import { relative } from 'node:path';
import adapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { loadEnvFile } from './scripts/load-env.js';

// `.env` reaches the server's whole environment, as under `npm start`: SvelteKit reads the variables
// declared in src/env.ts itself, but the M2M_<NAME>_* names are the operator's own.
loadEnvFile();

/**
 * For `npm run bench`: which modules each browser chunk holds and their sizes before minifying,
 * written next to Vite's manifest (`.svelte-kit/output/client/.vite/`, never copied to the public
 * build), so the bench can say what each page's JavaScript is made of.
 */
function chunkModules(): Plugin {
  return {
    name: 'fieldpass:chunk-modules',
    apply: 'build',
    generateBundle(_, bundle) {
      if (this.environment.name !== 'client') return;
      const chunks: Record<string, Record<string, number>> = {};
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        chunks[chunk.fileName] = Object.fromEntries(
          Object.entries(chunk.modules).map(([id, info]) => [relative('.', id), info.renderedLength]),
        );
      }
      this.emitFile({ type: 'asset', fileName: '.vite/chunk-modules.json', source: JSON.stringify(chunks) });
    },
  };
}

/**
 * SvelteKit ends every build with a hint to run `npm run preview` (Vite's preview server); here the
 * production server is `npm start`, and `npm run preview` runs it beside the sandbox.
 */
function startHint(): Plugin {
  let replaced = false;
  return {
    name: 'fieldpass:start-hint',
    apply: 'build',
    configResolved() {
      if (replaced) return;
      replaced = true;
      const log = console.log;
      console.log = (...args: unknown[]) =>
        typeof args[0] === 'string' && args[0].includes('npm run preview')
          ? log(
              '\nRun `npm start` to serve this build (it reads .env), or `npm run preview` to try it with the sandbox.',
            )
          : log(...args);
    },
  };
}

export default defineConfig(({ command }) => ({
  // A build lists no file-size tables: `npm run bench` measures what users load.
  logLevel: command === 'build' ? 'warn' : 'info',
  build: {
    reportCompressedSize: false,
    // Rolldown's timing tables say which plugin was slow; nothing an operator can act on.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  plugins: [
    sveltekit({
      compilerOptions: { runes: true },
      adapter: adapter(),
      // Offline, the service worker answers every page with the one shell it cached from "/": its
      // script and style addresses must be absolute, or "./_app/…" would miss the cache on /jobs/<id>.
      paths: { relative: false },
      // A strict Content-Security-Policy, sent as a header on every server-rendered page: scripts
      // only with SvelteKit's nonces or hashes. connect-src is widened at run time in hooks.server.ts
      // to the configured authorization server and API origins.
      csp: {
        mode: 'auto',
        directives: {
          'default-src': ['self'],
          'script-src': ['self'],
          'style-src': ['self', 'unsafe-inline'],
          'img-src': ['self', 'data:'],
          'object-src': ['none'],
          'base-uri': ['none'],
          'form-action': ['self'],
          'frame-ancestors': ['none'],
        },
      },
    }),
    chunkModules(),
    startHint(),
  ],
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  test: {
    include: ['src/**/*.test.ts', 'sandbox/**/*.test.js', 'bench/**/*.test.js', 'scripts/**/*.test.js'],
    environment: 'node',
    // A test in which no assertion ran fails: it could not have failed either.
    expect: { requireAssertions: true },
  },
}));
