import type { FieldpassError, FieldpassErrorCode } from '../base/errors.js';

/** A message for people: what happened, in plain words, and what to do next. */
export interface UserMessage {
  title: string;
  text: string;
}

const MESSAGES: Record<FieldpassErrorCode, UserMessage> = {
  CONFIG_INVALID: {
    title: 'Fieldpass is not set up correctly',
    text: 'A setting is missing or malformed (named below). Fix it in the environment or .env and restart Fieldpass.',
  },
  INSECURE_ENDPOINT: {
    title: 'That server address is not secure',
    text: 'Fieldpass only talks to authorization servers over https://. Plain http:// is allowed for 127.0.0.1, [::1] and localhost during development. Change the setting named below to an https:// address.',
  },
  DISCOVERY_FAILED: {
    title: 'The Fentu server’s settings could not be read',
    text: 'Its discovery document was missing or did not match the configured issuer. Check PUBLIC_FENTU_ISSUER, or enter the endpoints by hand.',
  },
  STATE_MISSING: {
    title: 'This sign-in response is not valid',
    text: 'It did not come from a sign-in started here, so nothing was done with it. Start again to sign in.',
  },
  STATE_UNKNOWN: {
    title: 'This sign-in response is not valid',
    text: 'It does not match a sign-in started in this browser tab, or it was already used. Nothing was done with it. Start again to sign in.',
  },
  STATE_EXPIRED: {
    title: 'The sign-in took too long',
    text: 'Sign-in attempts expire after 10 minutes, for your safety. Start again to sign in.',
  },
  CALLBACK_INVALID: {
    title: 'This sign-in response is not valid',
    text: 'It was malformed or did not come from the expected server, so nothing was done with it. Start again to sign in.',
  },
  SIGN_IN_CANCELLED: {
    title: 'You declined access',
    text: 'Fieldpass was not given access to your Fentu account, so you are not signed in. You can start again whenever you like.',
  },
  SIGN_IN_REJECTED: {
    title: 'The Fentu server refused the sign-in',
    text: 'It answered with the error shown in the details. Try again; if it keeps happening, choose fewer permissions or ask your Fentu administrator.',
  },
  CODE_REJECTED: {
    title: 'The sign-in could not be completed',
    text: 'The Fentu server refused to finish it. This happens when a sign-in link is used twice or took too long. Start again to sign in.',
  },
  TOKEN_RESPONSE_INVALID: {
    title: 'The Fentu server sent an unexpected answer',
    text: 'Nothing was saved. Try again in a moment; if it keeps happening, the server may be misconfigured.',
  },
  NETWORK: {
    title: 'Fentu could not be reached',
    text: 'Check your connection and try again. Nothing was lost.',
  },
  TIMEOUT: {
    title: 'Fentu took too long to answer',
    text: 'Check your connection and try again. Nothing was lost.',
  },
  SERVER_ERROR: {
    title: 'The Fentu server had a problem',
    text: 'It reported an error on its side. Try again in a moment.',
  },
  SESSION_ENDED: {
    title: 'Your session has ended',
    text: 'Your sign-in expired or was revoked. Sign in again to continue.',
  },
  NOT_SIGNED_IN: {
    title: 'You are not signed in',
    text: 'Sign in to see your work orders.',
  },
  STORAGE_UNAVAILABLE: {
    title: 'This browser will not let Fieldpass keep you signed in',
    text: 'Fieldpass stores your sign-in in the browser’s local database, which is turned off here (private browsing or strict storage settings). Allow site data for this address and reload.',
  },
  API_UNAUTHORIZED: {
    title: 'Fentu did not accept your sign-in',
    text: 'Even a fresh access token was refused. Sign out and sign in again.',
  },
  INSUFFICIENT_SCOPE: {
    title: 'You have not given Fieldpass this permission',
    text: 'Fentu needs the permission named below for this. Allow it and you will come straight back here; nothing else changes.',
  },
  RATE_LIMITED: {
    title: 'Too many requests for now',
    text: 'Fentu has asked Fieldpass to slow down for a while. Try again in a few moments; where it can, Fieldpass tries again by itself.',
  },
  API_ERROR: {
    title: 'Fentu could not answer that request',
    text: 'See the details below, then try again.',
  },
  UNEXPECTED: {
    title: 'Something unexpected went wrong',
    text: 'This is a fault in Fieldpass, not something you did. Reload the page and try again; if it keeps happening, send the details below to support.',
  },
};

/** A session that ended because the answer to a refresh never arrived (see ensureFreshSession). */
const REFRESH_LOST: UserMessage = {
  title: 'Your sign-in was lost on the way back from Fentu',
  text: 'The connection dropped while Fieldpass was renewing your sign-in. Fentu had already issued the renewal, so it ended that sign-in to keep your account safe. Nothing you entered was lost. Sign in again to carry on where you were.',
};

/** The message for an error, chosen by its code. */
export function messageFor(error: FieldpassError): UserMessage {
  if (error.code === 'SESSION_ENDED' && error.details.reason === 'refresh_lost') return REFRESH_LOST;
  return MESSAGES[error.code];
}

/** True when the user should start sign-in over rather than retry the same step. */
export function needsNewSignIn(error: FieldpassError): boolean {
  return [
    'STATE_MISSING',
    'STATE_UNKNOWN',
    'STATE_EXPIRED',
    'CALLBACK_INVALID',
    'SIGN_IN_CANCELLED',
    'SIGN_IN_REJECTED',
    'CODE_REJECTED',
    'SESSION_ENDED',
    'NOT_SIGNED_IN',
    'INSUFFICIENT_SCOPE',
  ].includes(error.code);
}

/** Neutralises control and bidirectional-override characters in text a server sent, before it is shown. */
export function displayableText(text: string): string {
  // C0 and C1 controls, the bidi embeddings, overrides and isolates, and the directional marks:
  // they can reorder or hide what the rest of the line says. Matching them is the point here.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '\ufffd');
}
