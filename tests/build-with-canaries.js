// `npm run test:e2e` builds with the tests' client secrets (and a Redis password and sealing key)
// in the environment, as a careless deployment would: the build-output test then proves none of them was compiled into the client.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const canaries = JSON.parse(readFileSync(new URL('./canaries.json', import.meta.url), 'utf8'));
const result = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    M2M_FENERGO_CLIENT_SECRET: canaries.fenergoSecret,
    M2M_FENRIS_CLIENT_SECRET: canaries.fenrisSecret,
    FENTU_INTROSPECTION_CLIENT_SECRET: canaries.introspectionSecret,
    M2M_CACHE_KEY: canaries.cacheKey,
    REDIS_URL: `redis://:${canaries.redisPassword}@127.0.0.1:6379`,
  },
});
process.exit(result.status ?? 1);
