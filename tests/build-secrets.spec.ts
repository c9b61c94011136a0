// The production build sent to browsers holds no client secret (#81): neither the test canaries
// the server was configured with nor the sandbox's own default secrets.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CANARY } from './harness';
import { expect, test } from './fixtures';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test('no client secret appears anywhere in the client build output', () => {
  const files = [...filesUnder('build/client'), ...filesUnder('.svelte-kit/output/client')];
  expect(files.length).toBeGreaterThan(5);
  const secrets = [
    CANARY.fenergoSecret,
    CANARY.fenrisSecret,
    CANARY.introspectionSecret,
    CANARY.cacheKey,
    CANARY.redisPassword,
    'sandbox-fenergo-secret',
    'sandbox-fenris-secret',
  ];
  for (const file of files) {
    const content = readFileSync(file, 'latin1');
    for (const secret of secrets) expect(content.includes(secret), `${secret} in ${file}`).toBe(false);
  }
  // The server bundle does hold the sandbox defaults: the search above would find them if leaked.
  const server = filesUnder('build/server')
    .map((f) => readFileSync(f, 'latin1'))
    .join('');
  expect(server).toContain('sandbox-fenergo-secret');
});
