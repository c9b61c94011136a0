// The inspector's step-by-step authorization-code flow: every protocol step is oauth4webapi's,
// and every HTTP exchange is recorded as sent and received so the page can show it. Its attempts
// and keys are its own (`inspect:` records, a `key:inspect-dpop:…` key), apart from the app's
// session; the tokens it gets live only in the page's memory. Framework-free.
//
// The attempt and its authorization request are in attempt.ts, the callback checks in
// callback.ts, the recording and masking in recording.ts and a step's outcome in step.ts; this
// module holds discovery and the requests after the callback.
import * as oauth from 'oauth4webapi';
import { requireDpopHandle, withNonceRetry } from '../oauth/dpop.js';
import { assertSecureEndpoint, requestOptions } from '../base/http.js';
import type { CoreRuntime } from '../oauth/runtime.js';
import type { Profile } from './profile-model.js';
import {
  OPENID_NEEDS_ISSUER,
  asksForIdToken,
  libraryServer,
  type ExplainedParameter,
  type InspectedServer,
  type InspectionAttempt,
} from './attempt.js';
import {
  assertConnectable,
  formProblem,
  recordingFetch,
  type ConnectPolicy,
  type RecordedExchange,
} from './recording.js';
import { step, type StepResult } from './step.js';

function options(log: RecordedExchange[], label: string, endpoint: string, connect?: ConnectPolicy) {
  return requestOptions({ fetch: recordingFetch(log, label, connect), timeoutMs: 15_000 }, endpoint);
}

const ENDPOINT_FIELDS = [
  'authorization_endpoint',
  'token_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'userinfo_endpoint',
  'pushed_authorization_request_endpoint',
] as const;

/**
 * The server's metadata: by discovery from the profile's issuer (RFC 8414 §3, OpenID Connect
 * Discovery first), or from the endpoints entered by hand, which win over discovered ones. With
 * the authorization and token endpoints entered by hand no issuer is needed, unless `openid` is
 * asked for; without one, no `iss` is compared. Form mistakes and a target outside `connect` are
 * a `problem`, found before any request.
 */
export async function discoverServer(profile: Profile, connect?: ConnectPolicy): Promise<StepResult<InspectedServer>> {
  const log: RecordedExchange[] = [];
  return step(log, async () => {
    const issuer = profile.issuer?.trim() ? profile.issuer : undefined;
    const byHand = Object.fromEntries(
      Object.entries(profile.endpoints ?? {}).filter(([, value]) => typeof value === 'string' && value.trim() !== ''),
    ) as Partial<Record<(typeof ENDPOINT_FIELDS)[number], string>>;
    if (!issuer && !byHand.authorization_endpoint && !byHand.token_endpoint) {
      throw formProblem(
        'Enter the issuer, to read the server’s metadata (discovery), or the authorization and token endpoints by hand.',
        'issuer',
      );
    }
    if (!issuer && asksForIdToken(profile.scopes)) throw formProblem(OPENID_NEEDS_ISSUER, 'issuer');
    for (const name of ENDPOINT_FIELDS) if (byHand[name]) assertSecureEndpoint(byHand[name], name);
    let metadata: Partial<InspectedServer> = {};
    if (issuer && !byHand.authorization_endpoint) {
      const issuerUrl = assertSecureEndpoint(issuer, 'issuer');
      assertConnectable(issuerUrl, connect);
      let lastError: unknown;
      for (const algorithm of ['oidc', 'oauth2'] as const) {
        try {
          const response = await oauth.discoveryRequest(issuerUrl, {
            ...options(log, 'Discovery', issuerUrl.href, connect),
            algorithm,
          });
          metadata = await oauth.processDiscoveryResponse(issuerUrl, response);
          lastError = undefined;
          break;
        } catch (err) {
          lastError = err;
        }
      }
      if (lastError) throw lastError;
    }
    const merged: Partial<InspectedServer> = { ...metadata, ...byHand, issuer: metadata.issuer ?? issuer };
    for (const name of ['authorization_endpoint', 'token_endpoint'] as const) {
      if (!merged[name]) {
        throw formProblem(
          issuer && !byHand.authorization_endpoint
            ? `The server’s metadata has no ${name}: enter it by hand.`
            : `Enter the ${name} by hand as well.`,
          name,
        );
      }
    }
    // What the server's metadata names (entered ones were checked above) is its answer, failing a check.
    for (const name of ENDPOINT_FIELDS) {
      const value = merged[name];
      if (!value || byHand[name]) continue;
      try {
        assertSecureEndpoint(value, name);
      } catch (err) {
        throw new Error(`The server’s metadata: ${(err as Error).message}`, { cause: err });
      }
    }
    return merged as InspectedServer;
  });
}

/** A token set the inspector holds in memory. */
export type InspectedTokens = oauth.TokenEndpointResponse;

/**
 * One recorded step whose request carries a DPoP proof from the attempt's key when it has one,
 * retried once on `use_dpop_nonce` (RFC 9449 §8, §9). An endpoint outside `connect` is a problem,
 * and nothing is sent.
 */
async function provenStep<T>(
  runtime: CoreRuntime,
  attempt: Pick<InspectionAttempt, 'dpop_key'>,
  label: string,
  endpoint: string,
  connect: ConnectPolicy | undefined,
  send: (requestOptions: ReturnType<typeof options> & { DPoP?: oauth.DPoPHandle }) => Promise<T>,
): Promise<StepResult<T>> {
  const log: RecordedExchange[] = [];
  return step(log, async () => {
    assertConnectable(endpoint, connect);
    // The key the tokens are to be bound to (dpop_jkt was sent): without it, no request at all.
    const DPoP = attempt.dpop_key ? await requireDpopHandle(runtime, attempt.dpop_key) : undefined;
    return withNonceRetry(() => send({ ...options(log, label, endpoint, connect), DPoP }));
  });
}

/** A step that cannot run because the server has no such endpoint: nothing is sent. */
function noEndpoint<T>(name: string): StepResult<T> {
  return {
    exchanges: [],
    problem: {
      code: 'form',
      field: name,
      message: `Nothing was sent: the server has no ${name}. Enter it by hand in the profile if the server has one, and read its metadata again.`,
    },
  };
}

/** The pushed request's answer, and the URL to go to with it. */
export interface PushedRequest {
  request_uri: string;
  expires_in: number;
  /** The authorization endpoint with `client_id` and `request_uri` only (RFC 9126 §4). */
  url: URL;
}

/**
 * Pushes the built request to the server's pushed authorization request endpoint (RFC 9126 §2),
 * recorded, as a public client: the parameters travel in the POST body rather than the address
 * bar, with a DPoP proof by the attempt's key when it has one (RFC 9449 §10.1), and the server
 * answers a `request_uri` to send the browser on with.
 */
export async function pushInspection(
  attempt: InspectionAttempt,
  parameters: ExplainedParameter[],
  runtime: CoreRuntime,
  connect?: ConnectPolicy,
): Promise<StepResult<PushedRequest>> {
  const endpoint = attempt.server.pushed_authorization_request_endpoint;
  const server = libraryServer(attempt.server);
  const client = { client_id: attempt.client_id };
  if (!endpoint) return noEndpoint('pushed_authorization_request_endpoint');
  return provenStep(runtime, attempt, 'Pushed authorization request', endpoint, connect, async (requestOptions) => {
    const response = await oauth.pushedAuthorizationRequest(
      server,
      client,
      oauth.None(),
      parameters.map(({ name, value }) => [name, value]),
      requestOptions,
    );
    const { request_uri, expires_in } = await oauth.processPushedAuthorizationResponse(server, client, response);
    const url = new URL(attempt.server.authorization_endpoint);
    url.searchParams.set('client_id', attempt.client_id);
    url.searchParams.set('request_uri', request_uri);
    return { request_uri, expires_in, url };
  });
}

/** Trades the code at the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.5), recorded. */
export async function exchangeCode(
  attempt: InspectionAttempt,
  validated: URLSearchParams,
  runtime: CoreRuntime,
  connect?: ConnectPolicy,
): Promise<StepResult<InspectedTokens>> {
  const server = libraryServer(attempt.server);
  const client = { client_id: attempt.client_id };
  const endpoint = attempt.server.token_endpoint;
  return provenStep(
    runtime,
    attempt,
    'Token request (authorization_code)',
    endpoint,
    connect,
    async (requestOptions) => {
      const response = await oauth.authorizationCodeGrantRequest(
        server,
        client,
        oauth.None(),
        validated,
        attempt.redirect_uri,
        attempt.code_verifier,
        requestOptions,
      );
      return oauth.processAuthorizationCodeResponse(server, client, response, {
        expectedNonce: attempt.nonce ?? oauth.expectNoNonce,
        requireIdToken: attempt.nonce !== undefined,
      });
    },
  );
}

/** Refreshes (RFC 6749 §6), recorded. */
export async function refreshInspected(
  attempt: InspectionAttempt,
  refreshToken: string,
  runtime: CoreRuntime,
  connect?: ConnectPolicy,
): Promise<StepResult<InspectedTokens>> {
  const server = libraryServer(attempt.server);
  const client = { client_id: attempt.client_id };
  const endpoint = attempt.server.token_endpoint;
  return provenStep(runtime, attempt, 'Token request (refresh_token)', endpoint, connect, async (requestOptions) => {
    const response = await oauth.refreshTokenGrantRequest(server, client, oauth.None(), refreshToken, requestOptions);
    return oauth.processRefreshTokenResponse(server, client, response);
  });
}

/** Revokes a token (RFC 7009), recorded. */
export async function revokeInspected(
  attempt: InspectionAttempt,
  token: string,
  hint: 'access_token' | 'refresh_token',
  connect?: ConnectPolicy,
): Promise<StepResult<true>> {
  const log: RecordedExchange[] = [];
  const endpoint = attempt.server.revocation_endpoint;
  if (!endpoint) return noEndpoint('revocation_endpoint');
  return step(log, async () => {
    assertConnectable(endpoint, connect);
    const response = await oauth.revocationRequest(
      libraryServer(attempt.server),
      { client_id: attempt.client_id },
      oauth.None(),
      token,
      {
        ...options(log, 'Revocation', endpoint, connect),
        additionalParameters: { token_type_hint: hint },
      },
    );
    await oauth.processRevocationResponse(response);
    return true as const;
  });
}

/** Asks the server about a token (RFC 7662), recorded. */
export async function introspectInspected(
  attempt: InspectionAttempt,
  token: string,
  connect?: ConnectPolicy,
): Promise<StepResult<oauth.IntrospectionResponse>> {
  const log: RecordedExchange[] = [];
  const endpoint = attempt.server.introspection_endpoint;
  const server = libraryServer(attempt.server);
  const client = { client_id: attempt.client_id };
  if (!endpoint) return noEndpoint('introspection_endpoint');
  return step(log, async () => {
    assertConnectable(endpoint, connect);
    const response = await oauth.introspectionRequest(
      server,
      client,
      oauth.None(),
      token,
      options(log, 'Introspection', endpoint, connect),
    );
    return oauth.processIntrospectionResponse(server, client, response);
  });
}

/** Calls the UserInfo endpoint (OpenID Connect Core §5.3) with the access token, recorded. */
export async function userInfoInspected(
  attempt: InspectionAttempt,
  accessToken: string,
  runtime: CoreRuntime,
  connect?: ConnectPolicy,
): Promise<StepResult<oauth.UserInfoResponse>> {
  const endpoint = attempt.server.userinfo_endpoint;
  const server = libraryServer(attempt.server);
  const client = { client_id: attempt.client_id };
  if (!endpoint) return noEndpoint('userinfo_endpoint');
  return provenStep(runtime, attempt, 'UserInfo', endpoint, connect, async (requestOptions) => {
    const response = await oauth.userInfoRequest(server, client, accessToken, requestOptions);
    return oauth.processUserInfoResponse(server, client, oauth.skipSubjectCheck, response);
  });
}
