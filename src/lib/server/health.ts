import { json } from '@sveltejs/kit';

/** What a readiness check answers: passed or not, and optionally a short, secret-free reason. */
export type ReadinessOutcome = boolean | { ok: boolean; detail?: string };

/** A check that says whether something the server depends on (a store, a queue) is usable now. */
export type ReadinessCheck = () => Promise<ReadinessOutcome> | ReadinessOutcome;

/** One check's result as /readyz reports it. */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
  /** False for a dependency the server works without, less well: its failure degrades, not fails, readiness. */
  critical?: false;
}

/** A check that has not answered by then counts as failed, so /readyz always answers quickly. */
const CHECK_TIMEOUT_MS = 2_000;
/** Results are reused this long, so a flood of /readyz requests does not become a flood of checks. */
const RESULT_TTL_MS = 1_000;

async function runCheck(name: string, check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ name, ok: false, detail: 'timed out' }), timeoutMs);
  });
  const run = (async (): Promise<CheckResult> => {
    try {
      const outcome = await check();
      if (typeof outcome === 'boolean') return { name, ok: outcome };
      return { name, ok: outcome.ok === true, ...(outcome.detail ? { detail: outcome.detail } : {}) };
    } catch (err) {
      // An error's message may name a host or quote a credential: only its kind is reported.
      return { name, ok: false, detail: `failed (${(err as Error)?.name ?? 'error'})` };
    }
  })();
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A registry of readiness checks. Every registered check runs (concurrently) for each readiness
 * question; the answer is shared with questions asked within a second.
 */
export function createReadiness(options: { timeoutMs?: number; ttlMs?: number; now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const checks = new Map<string, { check: ReadinessCheck; critical: boolean }>();
  let last: { at: number; results: Promise<CheckResult[]> } | undefined;

  return {
    /** Adds a check under `name`, or replaces the one registered under it. */
    register(name: string, check: ReadinessCheck, { critical = true }: { critical?: boolean } = {}): void {
      checks.set(name, { check, critical });
      last = undefined;
    },

    /** Runs every check (or reuses the answer of the last second) and says which passed. */
    check(): Promise<CheckResult[]> {
      if (!last || now() - last.at >= (options.ttlMs ?? RESULT_TTL_MS)) {
        const runs = [...checks].map(async ([name, { check, critical }]) => {
          const result = await runCheck(name, check, options.timeoutMs ?? CHECK_TIMEOUT_MS);
          return critical ? result : { ...result, critical: false as const };
        });
        last = { at: now(), results: Promise.all(runs) };
      }
      return last.results;
    },
  };
}

export type Readiness = ReturnType<typeof createReadiness>;

/** The server's readiness checks. */
export const readiness: Readiness = createReadiness();

/**
 * Registers a check that GET /readyz runs: it passes when the check resolves `true` or
 * `{ ok: true }`; it fails when it resolves otherwise, throws, or takes more than 2 s. A check
 * that is not `critical` makes the answer "degraded" (still 200) instead of 503.
 */
export function registerReadinessCheck(name: string, check: ReadinessCheck, options?: { critical?: boolean }): void {
  readiness.register(name, check, options);
}

const NO_STORE = { 'cache-control': 'no-store' };

/** GET /healthz: the process is up and answering. Nothing else is checked. */
export function healthResponse(): Response {
  return json({ status: 'ok' }, { headers: NO_STORE });
}

/**
 * GET /readyz: 200 when every critical readiness check passes (the configuration is one), else 503
 * with the checks that failed; a failed check that is not critical makes it 200 "degraded", with
 * that check listed. Names and fixed reasons only: never a setting's value or an error text.
 */
export async function readinessResponse(from: Readiness = readiness): Promise<Response> {
  const results = await from.check();
  const failed = results.filter((result) => !result.ok);
  if (failed.some((result) => result.critical !== false)) {
    return json({ status: 'unavailable', failed }, { status: 503, headers: NO_STORE });
  }
  if (failed.length) return json({ status: 'degraded', degraded: failed }, { headers: NO_STORE });
  return json({ status: 'ready', checks: results.map(({ name }) => name) }, { headers: NO_STORE });
}
