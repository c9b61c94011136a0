// The one rule for `.env`, shared by `npm start`, `npm run doctor` and the Vite config: read `.env`
// from the current folder (npm runs scripts in the project folder) when there is one; variables
// already set in the environment win.

import { existsSync } from 'node:fs';

/** Loads `./.env` into process.env, keeping variables that are already set; true when there was one. */
export function loadEnvFile() {
  if (!existsSync('.env')) return false;
  process.loadEnvFile('.env');
  return true;
}
