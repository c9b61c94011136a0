// The production server as an operator meets it: `npm start` reads `.env` (the environment wins),
// the whole configuration is checked before it listens, and `npm run doctor` asks the real
// authorization server, API and providers what a browser will meet. Real processes, the real
// sandbox; no browser is needed.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_BASE_URL, APP_ORIGIN, CANARY, ISSUER, M2M_ENV } from './harness';
import { expect, test } from './fixtures';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The test process's environment without any Fieldpass setting, so each run gets only its own. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(PUBLIC_FENTU_|FENTU_|M2M_|INSPECT_|ORIGIN$|PORT$|HOST$)/.test(name),
    ),
  );
  return { ...env, ...extra };
}

interface Run {
  code: Promise<number | null>;
  output: () => string;
  stop: () => void;
}

/** Runs one of the repository's scripts in `cwd`, as `npm start` / `npm run doctor` would. */
function runScript(script: string, cwd: string, env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [join(ROOT, script)], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return {
    code: new Promise((resolve) => child.on('exit', resolve)),
    output: () => output,
    stop: () => child.kill('SIGTERM'),
  };
}

/** A folder with just a `.env`, the way an operator keeps one beside the app. */
function folderWithEnv(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'fieldpass-operator-'));
  writeFileSync(join(dir, '.env'), `${lines.join('\n')}\n`);
  return dir;
}

test.describe('npm start', () => {
  test('serves the tenant configured in .env, not the sandbox; a variable set in the environment wins', async ({
    request,
  }) => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const dir = folderWithEnv([
      '# A tenant, as an operator writes it',
      `PUBLIC_FENTU_ISSUER=${ISSUER}`,
      'PUBLIC_FENTU_CLIENT_ID=fieldpass',
      `PUBLIC_FENTU_API_BASE_URL=${API_BASE_URL}`,
      'PUBLIC_FENTU_SCOPES=read:work-orders read:customers',
      'M2M_PROVIDERS=',
      `ORIGIN=${origin}`,
      'HOST=127.0.0.1',
      `PORT=${port}`,
    ]);
    const server = runScript(
      'scripts/start.js',
      dir,
      cleanEnv({ PUBLIC_FENTU_SCOPES: 'read:work-orders read:assets' }),
    );
    try {
      await expect.poll(() => server.output(), { timeout: 15_000 }).toContain('Listening');

      // The server read the tenant: the browser may reach its issuer and API, and only those.
      const page = await request.get(`${origin}/sign-in`);
      const csp = page.headers()['content-security-policy'];
      expect(csp).toContain(`connect-src 'self' ${ISSUER} ${API_BASE_URL}`);
      expect(csp).not.toContain('127.0.0.1:9000');

      // The browser is handed the same settings, with the environment's scopes over the file's.
      const publicEnv = await (await request.get(`${origin}/_app/env.js`)).text();
      expect(publicEnv).toContain(ISSUER);
      expect(publicEnv).toContain('read:work-orders read:assets');
      expect(publicEnv).not.toContain('read:customers');
    } finally {
      server.stop();
      rmSync(dir, { recursive: true });
    }
  });

  test('three mistakes in .env are reported together, each naming its variable, and the server does not start', async () => {
    const port = await freePort();
    const dir = folderWithEnv([
      'PUBLIC_FENTU_ISSUER=http://auth.tenant.example',
      'PUBLIC_FENTU_CLIENT_ID=fieldpass',
      'M2M_PROVIDERS=',
      'INSPECT_CONNECT_ORIGINS=login.example.com',
      `PORT=${port}`,
    ]);
    const server = runScript('scripts/start.js', dir, cleanEnv({}));
    try {
      expect(await server.code).toBe(1);
      const output = server.output();
      expect(output).toContain('3 problems');
      for (const variable of ['PUBLIC_FENTU_ISSUER', 'PUBLIC_FENTU_API_BASE_URL', 'INSPECT_CONNECT_ORIGINS']) {
        expect(output).toContain(`- ${variable}`);
      }
      expect(output).not.toContain('Listening');
    } finally {
      server.stop();
      rmSync(dir, { recursive: true });
    }
  });
});

test.describe('npm run doctor', () => {
  const SANDBOX_TENANT = {
    PUBLIC_FENTU_ISSUER: ISSUER,
    PUBLIC_FENTU_CLIENT_ID: 'fieldpass',
    PUBLIC_FENTU_API_BASE_URL: API_BASE_URL,
    ...M2M_ENV,
  };

  test('against the sandbox: every check is ok, each provider issues a token, no secret is printed', async () => {
    const doctor = runScript('scripts/doctor.js', ROOT, cleanEnv({ ...SANDBOX_TENANT, ORIGIN: APP_ORIGIN }));
    expect(await doctor.code).toBe(0);
    const lines = doctor.output().trim().split('\n');
    const findings = lines.filter((line) => /^(ok|warning|problem) /.test(line));
    for (const subject of [
      'discovery',
      'PKCE',
      'revocation',
      'DPoP',
      'CORS on the token endpoint (preflight)',
      'CORS on the token endpoint (answer)',
      'CORS on the revocation endpoint',
      'PAR',
      'CORS on the PAR endpoint (preflight)',
      'CORS on the PAR endpoint (answer)',
      'CORS on the Fentu API',
    ]) {
      expect(findings.find((line) => line.includes(` ${subject} `)) ?? subject).toMatch(/^ok /);
    }
    expect(findings.find((line) => line.includes('provider fenergo'))).toMatch(/^ok .*expires_in \d+ s/);
    expect(findings.find((line) => line.includes('provider fenris'))).toMatch(/^ok .*expires_in \d+ s/);
    expect(lines.at(-1)).toMatch(/ 0 warnings, 0 problems$/);
    expect(doctor.output()).not.toContain(CANARY.fenergoSecret);
    expect(doctor.output()).not.toContain(CANARY.fenrisSecret);
  });

  test('a broken configuration: each problem says what to change, and the exit code says so', async () => {
    const wrongSecret = 'a-wrong-fenris-secret';
    const broken = runScript(
      'scripts/doctor.js',
      ROOT,
      cleanEnv({
        ...SANDBOX_TENANT,
        // The issuer with a trailing slash: not the sandbox's identifier.
        PUBLIC_FENTU_ISSUER: `${ISSUER}/`,
        M2M_FENRIS_CLIENT_SECRET: wrongSecret,
        ORIGIN: APP_ORIGIN,
      }),
    );
    expect(await broken.code).toBe(1);
    const output = broken.output();
    expect(output).toMatch(new RegExp(`problem +discovery .*set PUBLIC_FENTU_ISSUER to "${ISSUER}" exactly`));
    expect(output).toMatch(/problem +provider fenris .*refused the credentials.*M2M_FENRIS_CLIENT_SECRET/);
    expect(output).toMatch(/ok +provider fenergo /);
    expect(output).not.toContain(wrongSecret);

    // An app origin the authorization server and API were never told about.
    const unknownOrigin = `http://127.0.0.1:${await freePort()}`;
    const cors = runScript('scripts/doctor.js', ROOT, cleanEnv({ ...SANDBOX_TENANT, ORIGIN: unknownOrigin }));
    expect(await cors.code).toBe(1);
    for (const subject of ['the token endpoint \\(answer\\)', 'the revocation endpoint', 'the Fentu API']) {
      expect(cors.output()).toMatch(new RegExp(`problem +CORS on ${subject} .* does not allow ${unknownOrigin}`));
    }
  });
});
