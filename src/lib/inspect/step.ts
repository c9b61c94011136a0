// The outcome of one recorded step: what was exchanged, and the value, the server's error or the
// problem that stopped it. Framework-free.
import * as oauth from 'oauth4webapi';
import { isFieldpassError } from '../base/errors.js';
import type { ProcessingFailure } from './explain.js';
import { StepProblemError, type RecordedExchange, type StepProblem } from './recording.js';

/**
 * The outcome of one step: what was exchanged, and either the OAuth error the server answered
 * (or the check its answer failed) or a problem that is no answer at all.
 */
export interface StepResult<T> {
  exchanges: RecordedExchange[];
  value?: T;
  error?: {
    code: string;
    description?: string;
    status?: number;
    message: string;
    /** The parameters of the WWW-Authenticate challenge, as oauth4webapi parsed it (RFC 6750 §3). */
    challenge?: Partial<Record<string, string>>;
    /** For `invalid_response`: what oauth4webapi found wrong with the answer. */
    processing?: ProcessingFailure;
  };
  problem?: StepProblem;
}

/**
 * Sorts what the server answered, or the check its answer failed, into an OAuth error code the
 * explainer knows. Problems that are no answer (`StepProblemError`) never come here.
 */
export function errorOf(err: unknown): NonNullable<StepResult<unknown>['error']> {
  if (err instanceof oauth.ResponseBodyError) {
    return { code: err.error, description: err.error_description, status: err.status, message: err.message };
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const p = err.cause[0]?.parameters ?? {};
    return {
      code: p.error ?? 'invalid_token',
      description: p.error_description,
      status: err.status,
      message: err.message,
      challenge: { ...p },
    };
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    return { code: err.error, description: err.error_description ?? undefined, message: err.message };
  }
  const status = ((err as { cause?: unknown })?.cause as Response | undefined)?.status;
  const message = (err as Error)?.message ?? String(err);
  return { code: 'invalid_response', status, message, processing: processingOf(err, message) };
}

/** oauth4webapi's code for a refused answer, and the attribute or claim it compared. */
function processingOf(err: unknown, message: string): ProcessingFailure | undefined {
  if (!(err instanceof oauth.OperationProcessingError)) return undefined;
  const cause = err.cause as { attribute?: unknown; claim?: unknown } | undefined;
  const compared = cause?.attribute ?? cause?.claim;
  // The callback's iss check names the parameter only in its message.
  const attribute = typeof compared === 'string' ? compared : /"iss" \(issuer\)/.test(message) ? 'iss' : undefined;
  return { code: err.code, ...(attribute ? { attribute } : {}) };
}

/**
 * What stopped a step, when it is not the server's answer: a `StepProblemError`, an endpoint that
 * is malformed or plain http off loopback, or an argument oauth4webapi refused before sending.
 */
function problemOf(err: unknown): StepProblem | undefined {
  if (err instanceof StepProblemError) return err.problem;
  if (isFieldpassError(err, 'CONFIG_INVALID') || isFieldpassError(err, 'INSECURE_ENDPOINT')) {
    return { code: 'form', message: err.message, field: err.details?.variable };
  }
  // oauth4webapi's own checks of its arguments, before any request (a missing value, say).
  if (err instanceof TypeError) return { code: 'form', message: `Nothing was sent: ${err.message}.` };
  return undefined;
}

export async function step<T>(log: RecordedExchange[], work: () => Promise<T>): Promise<StepResult<T>> {
  try {
    return { exchanges: log, value: await work() };
  } catch (err) {
    const problem = problemOf(err);
    return problem ? { exchanges: log, problem } : { exchanges: log, error: errorOf(err) };
  }
}
