import type { CoreRuntime } from '../oauth/runtime.js';
import { loadConnectPolicy } from '../inspect/connect-policy.js';
import type { ErrorWhere } from '../inspect/explain.js';
import {
  exchangeCode,
  introspectInspected,
  refreshInspected,
  revokeInspected,
  userInfoInspected,
  type InspectedTokens,
} from '../inspect/flow.js';
import { readCallback, type ReceivedCallback } from '../inspect/callback.js';
import type { ConnectPolicy, RecordedExchange, StepProblem } from '../inspect/recording.js';
import type { StepResult } from '../inspect/step.js';
import { inspectorRuntime } from './inspector-runtime.js';

/** One step the developer ran after the callback: its exchanges, its outcome and any explanation. */
export interface CallbackStep {
  title: string;
  where: ErrorWhere;
  exchanges: RecordedExchange[];
  error?: StepResult<unknown>['error'];
  /** Not the server's answer: nothing was sent, or the browser did not complete the request. */
  problem?: StepProblem;
  outcome?: string;
  /** What the inspector itself knows about the step, shown under its own label. */
  known?: string;
  /** The step sent a code the inspector had already exchanged. */
  replayed?: boolean;
}

/**
 * The inspector's callback page: the answer as received and checked, then each step the developer
 * runs with it (the code exchange, refresh, revocation, introspection, UserInfo), in order.
 */
export class InspectorCallback {
  received = $state.raw<ReceivedCallback | undefined>(undefined);
  tokens = $state.raw<InspectedTokens | undefined>(undefined);
  steps = $state.raw<CallbackStep[]>([]);
  busy = $state(false);
  /** The page was opened without an answer to read. */
  nothing = $state(false);
  readonly attempt = $derived(this.received?.attempt);
  /** A code exchange left this page (its request is recorded), whatever came back. */
  readonly codeSent = $derived(this.steps.some((step) => step.where === 'token' && step.exchanges.length > 0));

  readonly #runtime: () => CoreRuntime;
  /** This page's connect-src, from the server: a target outside it is named before any request. */
  #connect: ConnectPolicy | undefined;
  /** Settles once `#connect` is known (or known to be unknown); every request waits for it. */
  #connectKnown: Promise<unknown> = Promise.resolve();

  constructor(runtime?: CoreRuntime) {
    this.#runtime = runtime ? () => runtime : inspectorRuntime;
  }

  /** Reads the callback in the address bar, then takes it out of the address bar and history. */
  async start(): Promise<void> {
    const { location, history } = window;
    this.#connectKnown = loadConnectPolicy(location.origin).then((policy) => (this.#connect = policy));
    const href = location.href;
    if (!location.search) {
      this.nothing = true;
      return;
    }
    // The code leaves the address bar and history at once (RFC 9700 §4.2.4).
    history.replaceState(history.state, '', '/inspect/callback');
    this.received = await readCallback(href, this.#runtime());
  }

  async #run<T>(
    title: string,
    where: ErrorWhere,
    work: () => Promise<StepResult<T>>,
    keep?: (value: T) => string,
    known?: Pick<CallbackStep, 'known' | 'replayed'>,
  ): Promise<void> {
    this.busy = true;
    await this.#connectKnown;
    const result = await work();
    this.steps = [
      ...this.steps,
      {
        title,
        where,
        exchanges: result.exchanges,
        error: result.error,
        problem: result.problem,
        ...known,
        outcome: result.value !== undefined && keep ? keep(result.value) : undefined,
      },
    ];
    this.busy = false;
  }

  /** Exchanges the code; `again` sends the same code a second time, on purpose. */
  async exchange(again = false): Promise<void> {
    const attempt = this.received?.attempt;
    const validated = this.received?.validated;
    if (!attempt || !validated) return;
    await this.#run(
      again ? 'The same code, exchanged again' : 'Code exchange',
      'token',
      () => exchangeCode(attempt, validated, this.#runtime(), this.#connect),
      (value) => {
        this.tokens = value;
        return 'Tokens received.';
      },
      // The inspector knows a replay is one; servers such as oidc-provider do not say so.
      again
        ? { known: 'This authorization code was already exchanged once, in the code exchange above.', replayed: true }
        : undefined,
    );
  }

  async refresh(): Promise<void> {
    const { attempt } = this;
    const refreshToken = this.tokens?.refresh_token;
    if (!attempt || !refreshToken) return;
    await this.#run(
      'Refresh',
      'refresh',
      () => refreshInspected(attempt, refreshToken, this.#runtime(), this.#connect),
      (value) => {
        // RFC 6749 §6: an answer without a new refresh token leaves the old one in force.
        this.tokens = { ...value, refresh_token: value.refresh_token ?? this.tokens?.refresh_token };
        return 'New tokens received.';
      },
    );
  }

  async revoke(): Promise<void> {
    const { attempt } = this;
    const refreshToken = this.tokens?.refresh_token;
    if (!attempt || !refreshToken) return;
    await this.#run(
      'Revoke the refresh token',
      'revocation',
      () => revokeInspected(attempt, refreshToken, 'refresh_token', this.#connect),
      () => 'Revoked.',
    );
  }

  async introspect(): Promise<void> {
    const { attempt, tokens } = this;
    if (!attempt || !tokens) return;
    await this.#run(
      'Introspect the access token',
      'introspection',
      () => introspectInspected(attempt, tokens.access_token, this.#connect),
      (value) => `active: ${String(value.active)}`,
    );
  }

  async userInfo(): Promise<void> {
    const { attempt, tokens } = this;
    if (!attempt || !tokens) return;
    await this.#run(
      'UserInfo',
      'resource',
      () => userInfoInspected(attempt, tokens.access_token, this.#runtime(), this.#connect),
      (value) => `sub: ${value.sub}`,
    );
  }
}
