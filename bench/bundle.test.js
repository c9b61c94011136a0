import { describe, expect, it } from 'vitest';
import { CORE_FILES, moduleLabel } from './bundle.js';

describe('CORE_FILES', () => {
  it('holds the protocol, storage and browser runtime modules and no tests', () => {
    expect(CORE_FILES).toContain('src/lib/oauth/session.ts');
    expect(CORE_FILES).toContain('src/lib/storage/sealed-store.ts');
    expect(CORE_FILES).toContain('src/lib/app/runtime.ts');
    expect(CORE_FILES.filter((f) => f.includes('.test'))).toEqual([]);
  });
});

describe('moduleLabel', () => {
  it('names a library by its package and a core module by its path under src/lib', () => {
    expect(moduleLabel('node_modules/oauth4webapi/build/index.js')).toBe('oauth4webapi');
    expect(moduleLabel('../main/node_modules/idb-keyval/dist/index.js')).toBe('idb-keyval');
    expect(moduleLabel('node_modules/@scope/pkg/index.js')).toBe('@scope/pkg');
    expect(moduleLabel('src/lib/oauth/runtime.ts')).toBe('oauth/runtime.ts');
    expect(moduleLabel('src/lib/app/runtime.ts')).toBe('app/runtime.ts');
  });
});
