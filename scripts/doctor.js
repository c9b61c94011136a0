// `npm run doctor`: checks the configuration and asks the configured authorization server, the
// Fentu API and each partner provider what a browser (and this server) will meet. Reads `.env`
// like `npm start`. Exits 1 when it finds a problem. Prints no secret.

import { runnerImport } from 'vite';
import { loadEnvFile } from './load-env.js';

loadEnvFile();
const { module: settings } = await runnerImport('/src/lib/server/settings.ts', {
  configFile: false,
  logLevel: 'silent',
});
const { module: doctor } = await runnerImport('/src/lib/server/doctor.ts', { configFile: false, logLevel: 'silent' });

const appOrigin = settings.expectedOrigin(process.env);
const assumed = process.env.ORIGIN ? '' : ' (ORIGIN is not set: set it to the address users open)';
console.log(`Fieldpass doctor: what a browser at ${appOrigin} will meet${assumed}\n`);
const findings = await doctor.diagnose(process.env, { appOrigin });
console.log(doctor.formatFindings(findings));
process.exitCode = findings.some((f) => f.level === 'problem') ? 1 : 0;
