// `npm run lint`'s size check: no source file over 500 lines and no function over 80, so that every
// file can be read in one sitting and every function on one screen or two. Test files are exempt,
// and so are the data tables listed below. Prints each offender and exits 1 when there is one.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const MAX_FILE_LINES = 500;
export const MAX_FUNCTION_LINES = 80;

/** The folders checked, from the project root. */
export const ROOTS = ['src', 'sandbox', 'bench', 'scripts', 'tests'];

/** Folders that hold what a tool wrote, not sources. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'bench/results']);

const SOURCE = /\.(?:ts|js|svelte|css)$/;
const TEST = /\.(?:test|spec)\.[jt]s$|\.test-util\.ts$/;

/** Files that are data, not logic: exempt from the line limit (never from the function limit). */
export const DATA_TABLES = [
  {
    pattern: /^src\/lib\/catalogs\/fenergo-scopes\.ts$/,
    reason: "the Fenergo scope catalog, one entry per scope as Fenergo's documentation lists them",
  },
  {
    pattern: /^src\/lib\/inspect\/explain-texts[^/]*\.ts$/,
    reason: "the explainer's texts: prose for each OAuth error and its variants",
  },
];

/** True for a file this check reads: a source file under one of the roots that is not a test. */
export function isChecked(path) {
  return ROOTS.some((root) => path.startsWith(`${root}/`)) && SOURCE.test(path) && !TEST.test(path);
}

/** The `<script>` blocks of a Svelte component, each with the line it starts on (0-based). */
function scriptBlocks(text) {
  return [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((match) => ({
    code: match[1],
    firstLine: text.slice(0, match.index + match[0].indexOf('>') + 1).split('\n').length - 1,
  }));
}

/** What a function is called where it is declared or assigned; `(anonymous)` otherwise. */
function functionName(node) {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  const named = ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent);
  if (named && parent.initializer === node) {
    return parent.name.getText();
  }
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  return '(anonymous)';
}

/**
 * The functions in `code` longer than the limit: each one's span from its first token to its end,
 * comments inside it included, as the TypeScript compiler's syntax tree gives it.
 */
function longFunctions(path, code, firstLine) {
  const kind = path.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(path, code, ts.ScriptTarget.Latest, true, kind);
  const found = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.end).line;
      const lines = end - start + 1;
      if (lines > MAX_FUNCTION_LINES) found.push({ line: firstLine + start + 1, name: functionName(node), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** What is wrong with one file (`path` from the project root, `/`-separated), one line each. */
export function problemsOf(path, text) {
  const problems = [];
  const lines = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
  if (lines > MAX_FILE_LINES && !DATA_TABLES.some((table) => table.pattern.test(path))) {
    problems.push(`${path}: ${lines} lines, over ${MAX_FILE_LINES}`);
  }
  if (path.endsWith('.css')) return problems;
  const blocks = path.endsWith('.svelte') ? scriptBlocks(text) : [{ code: text, firstLine: 0 }];
  for (const { code, firstLine } of blocks) {
    for (const { line, name, lines: length } of longFunctions(path, code, firstLine)) {
      problems.push(`${path}:${line}: function ${name} is ${length} lines, over ${MAX_FUNCTION_LINES}`);
    }
  }
  return problems;
}

/** Every file this check reads under `root`, as `/`-separated paths from it, sorted. */
export function checkedFiles(root) {
  const files = [];
  const walk = (folder) => {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && !SKIPPED_FOLDERS.has(entry.name) && !SKIPPED_FOLDERS.has(path)) walk(path);
      } else if (isChecked(path)) files.push(path);
    }
  };
  for (const top of ROOTS) {
    try {
      walk(top);
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
  }
  return files.sort();
}

/** The problems of every file under `root`. */
export function checkTree(root) {
  return checkedFiles(root).flatMap((path) => problemsOf(path, readFileSync(join(root, path), 'utf8')));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const problems = checkTree(fileURLToPath(new URL('..', import.meta.url)));
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) {
    console.error(
      `\n${problems.length} over the size limits: split the file or the function (data tables: scripts/check-structure.js).`,
    );
    process.exit(1);
  }
}
