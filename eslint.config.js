import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

/**
 * The folders of src/lib, each with the folders it may import from: imports go one way, down the
 * layers. base ← storage ← oauth ← offline, inspect, pwa ← app (browser state) ← components
 * (Svelte components) ← src/routes. catalogs is data and imports nothing. server uses base, oauth
 * and catalogs, never the inspector, the browser's state or its components.
 */
const LAYERS = {
  base: [],
  catalogs: [],
  storage: ['base'],
  oauth: ['base', 'storage'],
  offline: ['base', 'storage', 'oauth'],
  inspect: ['base', 'storage', 'oauth', 'catalogs'],
  pwa: ['base', 'storage', 'oauth'],
  app: ['base', 'storage', 'oauth', 'offline', 'inspect', 'catalogs', 'pwa'],
  components: ['base', 'storage', 'oauth', 'offline', 'inspect', 'catalogs', 'pwa', 'app'],
  server: ['base', 'oauth', 'catalogs'],
};

/** Folders whose code runs unchanged in the browser, the service worker, the server and Vitest. */
const FRAMEWORK_FREE = new Set(['base', 'storage', 'oauth', 'offline', 'inspect', 'catalogs', 'pwa']);

/** One `no-restricted-imports` block per folder: its layer rule, in every spelling of a path into src/lib. */
function importBoundaries() {
  return Object.entries(LAYERS).map(([layer, allowed]) => {
    const forbidden = Object.keys(LAYERS).filter((other) => other !== layer && !allowed.includes(other));
    const patterns = [
      {
        regex: `^(?:\\$lib/|#lib/|(?:\\.\\./)+)(?:${forbidden.join('|')})(?:/|$)`,
        caseSensitive: true,
        message: `src/lib/${layer} may import from ${allowed.length ? allowed.join(', ') : 'no other folder of src/lib'} (layers in eslint.config.js).`,
      },
    ];
    if (FRAMEWORK_FREE.has(layer)) {
      patterns.push({
        regex: '^(?:svelte|\\$app|\\$env)(?:/|$)',
        caseSensitive: true,
        message: `src/lib/${layer} runs without the framework: no svelte, $app or $env imports.`,
      });
    }
    return { files: [`src/lib/${layer}/**`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
  });
}

export default ts.config(
  { ignores: ['build/', '.svelte-kit/', 'node_modules/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  prettier,
  ...svelte.configs.prettier,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      // Type-aware checks are svelte-check's job; this one only misfires on TypeScript code.
      'no-undef': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { projectService: true, extraFileExtensions: ['.svelte'], parser: ts.parser },
    },
  },
  {
    // Server data never becomes HTML in the OAuth core or its UI (checklist #68).
    files: ['src/**/*.svelte'],
    rules: {
      'svelte/no-at-html-tags': 'error',
      // Fieldpass is served at the root (no kit.paths.base), and return-to targets are validated
      // path strings, not route ids, so resolve() would add nothing.
      'svelte/no-navigation-without-resolve': 'off',
    },
  },
  ...importBoundaries(),
);
