import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

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
);
