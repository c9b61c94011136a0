import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTree, isChecked, problemsOf } from './check-structure.js';

/** `count` lines of plain statements. */
const lines = (count) => Array.from({ length: count }, (_, i) => `const v${i} = ${i};\n`).join('');

/** A function declaration spanning exactly `count` lines. */
const fn = (name, count) => `function ${name}() {\n${'  void 0;\n'.repeat(count - 2)}}\n`;

describe('the line limit', () => {
  it('passes a file of 500 lines and names one of 501 with its count', () => {
    expect(problemsOf('src/lib/a.ts', lines(500))).toEqual([]);
    expect(problemsOf('src/lib/a.ts', lines(501))).toEqual(['src/lib/a.ts: 501 lines, over 500']);
  });

  it('counts a last line without a newline', () => {
    expect(problemsOf('sandbox/a.js', `${lines(500)}const last = 1;`)).toHaveLength(1);
  });

  it.each([
    'src/lib/catalogs/fenergo-scopes.ts',
    'src/lib/inspect/explain-texts.ts',
    'src/lib/inspect/explain-texts-grant.ts',
  ])('leaves the data table %s out', (path) => {
    expect(problemsOf(path, lines(900))).toEqual([]);
  });

  it('holds every other file to it, beside a data table too', () => {
    expect(problemsOf('src/lib/inspect/explain.ts', lines(900))).toHaveLength(1);
    expect(problemsOf('src/lib/catalogs/other-scopes.ts', lines(900))).toHaveLength(1);
  });

  it('applies to style sheets and whole Svelte components', () => {
    expect(problemsOf('src/app.css', '.a { color: red; }\n'.repeat(501))).toEqual(['src/app.css: 501 lines, over 500']);
    const component = `<script lang="ts">\n${lines(10)}</script>\n${'<p>text</p>\n'.repeat(495)}`;
    expect(problemsOf('src/routes/+page.svelte', component)).toEqual(['src/routes/+page.svelte: 507 lines, over 500']);
  });
});

describe('the function limit', () => {
  it('passes a function of 80 lines and names one of 81 with where it starts', () => {
    expect(problemsOf('src/lib/a.ts', fn('short', 80))).toEqual([]);
    expect(problemsOf('src/lib/a.ts', `${lines(3)}${fn('long', 81)}`)).toEqual([
      'src/lib/a.ts:4: function long is 81 lines, over 80',
    ]);
  });

  it('names arrow functions, methods and nested functions', () => {
    const body = '  void 0;\n'.repeat(85);
    const code = [
      `const arrow = () => {\n${body}};`,
      `class Panel {\n  load() {\n${body}  }\n  handler = () => {\n${body}  };\n}`,
      `export function outer() {\n  function inner() {\n${body}  }\n  return inner;\n}`,
    ].join('\n');
    const names = problemsOf('bench/a.js', code).map((problem) => problem.match(/function (\S+)/)?.[1]);
    expect(names).toEqual(['arrow', 'load', 'handler', 'outer', 'inner']);
  });

  it('counts the comments inside a function, not the doc comment above it', () => {
    const documented = `/**\n${' * words\n'.repeat(20)} */\n${fn('documented', 75)}`;
    expect(problemsOf('src/lib/a.ts', documented)).toEqual([]);
    const commented = `function commented() {\n${'  // why\n'.repeat(79)}}\n`;
    expect(problemsOf('src/lib/a.ts', commented)).toHaveLength(1);
  });

  it("reads a Svelte component's scripts only, with the component's line numbers", () => {
    const markup = '<p>text</p>\n'.repeat(100);
    const component = `<script module>\n${fn('helper', 10)}</script>\n\n<script lang="ts">\n${fn('load', 81)}</script>\n${markup}`;
    expect(problemsOf('src/lib/components/A.svelte', component)).toEqual([
      'src/lib/components/A.svelte:15: function load is 81 lines, over 80',
    ]);
    expect(problemsOf('src/lib/components/B.svelte', `<div>\n${markup}</div>\n`)).toEqual([]);
  });

  it('holds data tables to it', () => {
    expect(problemsOf('src/lib/inspect/explain-texts.ts', fn('prose', 90))).toHaveLength(1);
  });
});

describe('which files are read', () => {
  it.each([
    ['src/lib/oauth/session.ts', true],
    ['src/lib/components/DataPanel.svelte', true],
    ['src/app.css', true],
    ['sandbox/index.js', true],
    ['bench/run.js', true],
    ['scripts/dev.js', true],
    ['tests/fixtures.ts', true],
    ['tests/session.spec.ts', false],
    ['src/lib/oauth/session.test.ts', false],
    ['src/lib/oauth/fake-fetch.test-util.ts', false],
    ['bench/stats.test.js', false],
    ['src/lib/catalogs/scopes.json', false],
    ['static/sw-helper.js', false],
    ['vite.config.ts', false],
  ])('%s: %s', (path, checked) => {
    expect(isChecked(path)).toBe(checked);
  });
});

describe('a tree', () => {
  let root;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const plant = (files) => {
    root = mkdtempSync(join(tmpdir(), 'check-structure-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
  };

  it('names every offender and skips tests, dependencies and tool output', () => {
    plant({
      'src/lib/long.ts': lines(501),
      'src/lib/fine.ts': lines(20),
      'src/lib/long.test.ts': lines(900),
      'src/lib/node_modules/dep/index.js': lines(900),
      'bench/results/report.js': lines(900),
      'tests/helpers.ts': fn('slow', 81),
      'tests/long.spec.ts': lines(900),
    });
    expect(checkTree(root)).toEqual([
      'src/lib/long.ts: 501 lines, over 500',
      'tests/helpers.ts:1: function slow is 81 lines, over 80',
    ]);
  });

  it('finds nothing in a tree within the limits', () => {
    plant({ 'src/lib/a.ts': lines(10), 'scripts/b.js': fn('quick', 20) });
    expect(checkTree(root)).toEqual([]);
  });
});
