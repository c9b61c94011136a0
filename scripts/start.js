// `npm start`: the production server (`node build`, from `npm run build`), with `.env` read first
// when there is one; variables set in the environment win. The server checks the whole
// configuration before it listens and exits naming every variable at fault.

import { existsSync } from 'node:fs';
import { loadEnvFile } from './load-env.js';

const server = new URL('../build/index.js', import.meta.url);
if (!existsSync(server)) {
  console.error('There is no production build yet: run `npm run build`, then `npm start`.');
  process.exit(1);
}
loadEnvFile();
await import(server.href);
