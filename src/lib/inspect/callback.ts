// The inspector's callback: each check shown as passed, failed or not checked, then
// oauth4webapi's validateAuthResponse decides. Framework-free.
import * as oauth from 'oauth4webapi';
import type { CoreRuntime } from '../oauth/runtime.js';
import { INSPECT_PREFIX, libraryServer, type InspectedServer, type InspectionAttempt } from './attempt.js';
import { errorOf, type StepResult } from './step.js';

/** One check of the callback: passed, failed, or not checked (with the reason in `detail`). */
export interface CallbackCheck {
  name: string;
  outcome: 'passed' | 'failed' | 'not checked';
  detail: string;
}

/** The callback's parameters as received (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207). */
export interface ReceivedCallback {
  params: Record<'code' | 'state' | 'iss' | 'error' | 'error_description' | 'error_uri', string[]>;
  attempt?: InspectionAttempt;
  checks: CallbackCheck[];
  /** The parameters oauth4webapi accepted, when every check passed. */
  validated?: URLSearchParams;
  error?: NonNullable<StepResult<unknown>['error']>;
}

const CALLBACK_PARAMS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri'] as const;

const outcomeOf = (passed: boolean): CallbackCheck['outcome'] => (passed ? 'passed' : 'failed');

/**
 * The RFC 9207 check. `iss` absent from a server that does not promise it, or sent when no issuer
 * was entered, is shown as not checked: there is nothing to compare, which is not a pass.
 */
function issCheck(iss: string[], server: InspectedServer): CallbackCheck {
  const name = 'iss names the expected server (RFC 9207)';
  if (iss.length > 1) return { name, outcome: 'failed', detail: 'iss appears more than once.' };
  if (iss.length === 0) {
    return server.authorization_response_iss_parameter_supported
      ? { name, outcome: 'failed', detail: 'Not sent, although the server’s metadata promises it.' }
      : { name, outcome: 'not checked', detail: 'Not sent; the server does not promise it.' };
  }
  if (!server.issuer) {
    return {
      name,
      outcome: 'not checked',
      detail: `The server sent iss "${iss[0]}"; shown, not compared: no issuer was entered. Enter the issuer to have it compared.`,
    };
  }
  return {
    name,
    outcome: outcomeOf(iss[0] === server.issuer),
    detail: `iss is "${iss[0]}", expected "${server.issuer}".`,
  };
}

/**
 * Reads a callback: finds its attempt by `state`, shows each check, then lets oauth4webapi's
 * `validateAuthResponse` decide (state, `iss`, error responses, repeated parameters).
 */
export async function readCallback(href: string, runtime: CoreRuntime, now = Date.now()): Promise<ReceivedCallback> {
  const search = new URL(href).searchParams;
  const params = Object.fromEntries(
    CALLBACK_PARAMS.map((name) => [name, search.getAll(name)]),
  ) as ReceivedCallback['params'];
  const state = params.state[0];
  // Taken, not read: the attempt and its code_verifier leave storage as the callback reads them;
  // the page keeps them in memory to exchange the code (and to replay it on request).
  const attempt =
    state && params.state.length === 1
      ? await runtime.store.take<InspectionAttempt>(INSPECT_PREFIX + state)
      : undefined;
  const checks: CallbackCheck[] = [
    {
      name: 'state is present, once',
      outcome: outcomeOf(params.state.length === 1),
      detail:
        params.state.length === 0
          ? 'The callback has no state.'
          : params.state.length > 1
            ? 'state appears more than once.'
            : 'One state value.',
    },
    {
      name: 'state matches an attempt started here',
      outcome: outcomeOf(attempt !== undefined),
      detail: attempt
        ? `Attempt for "${attempt.profile_name}".`
        : 'No attempt with this state was started in this browser (or it was already used).',
    },
  ];
  if (attempt) {
    checks.push({
      name: 'the attempt is fresh',
      outcome: outcomeOf(now - attempt.created_at <= 10 * 60 * 1000),
      detail: `Started ${Math.round((now - attempt.created_at) / 1000)} s ago; attempts live 10 minutes.`,
    });
    checks.push(issCheck(params.iss, attempt.server));
  }
  checks.push({
    name: 'no error in the answer',
    outcome: outcomeOf(params.error.length === 0),
    detail: params.error.length ? `error=${params.error[0]}` : 'No error parameter.',
  });
  checks.push({
    name: 'exactly one code',
    outcome: outcomeOf(params.code.length === 1),
    detail: `${params.code.length} code parameter(s).`,
  });
  const result: ReceivedCallback = { params, attempt, checks };
  if (!attempt) {
    // Whatever error the callback carries is not attributed to the server before state matched:
    // the code is Fieldpass's own, and no server was asked.
    result.error = {
      code: 'state_mismatch',
      message: 'The callback’s state matches no attempt started in this browser, so nothing was sent to the server.',
    };
    return result;
  }
  // No issuer entered: the one iss sent is shown above, not compared; oauth4webapi checks the rest.
  const validating = new URLSearchParams(search);
  if (!attempt.server.issuer && params.iss.length === 1) validating.delete('iss');
  try {
    result.validated = oauth.validateAuthResponse(
      libraryServer(attempt.server),
      { client_id: attempt.client_id },
      validating,
      attempt.state,
    );
    if (checks.some((c) => c.outcome === 'failed')) result.validated = undefined;
  } catch (err) {
    result.error = errorOf(err);
    checks.push({ name: 'oauth4webapi validateAuthResponse', outcome: 'failed', detail: (err as Error).message });
  }
  return result;
}
