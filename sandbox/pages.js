// The sandbox's own login and consent pages: plain server-rendered HTML, every value escaped.

import { DEMO_ACCOUNT, FENTU_SCOPES, SECOND_ACCOUNT } from './settings.js';

const IDENTITY_SCOPES = {
  openid: 'Confirm who you are',
  profile: 'Your name',
  email: 'Your email address',
  offline_access: 'Stay signed in',
};

export function escapeHtml(value) {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}

function layout(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Fentu sandbox</title>
<style>
  body { font: 18px/1.5 system-ui, sans-serif; margin: 0; background: #f4f1ea; color: #1d1d1b; }
  main { max-width: 30rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 12px; box-shadow: 0 1px 4px #0002; }
  h1 { font-size: 1.5rem; margin-top: 0; }
  .badge { display: inline-block; background: #ffe08a; border-radius: 4px; padding: 0 .4rem; font-size: .8rem; font-weight: 600; }
  label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
  input[type=text], input[type=email], input[type=password] { width: 100%; box-sizing: border-box; font: inherit; padding: .6rem; border: 1px solid #888; border-radius: 6px; }
  .scopes label { display: flex; gap: .6rem; align-items: center; font-weight: 400; min-height: 44px; }
  .scopes input { width: 1.4rem; height: 1.4rem; }
  code { background: #eee; padding: 0 .3rem; border-radius: 4px; }
  .actions { display: flex; gap: 1rem; margin-top: 1.5rem; flex-wrap: wrap; }
  button { font: inherit; min-height: 44px; padding: .5rem 1.25rem; border-radius: 6px; border: 1px solid #333; background: #fff; cursor: pointer; }
  button.primary { background: #1f5f4a; color: #fff; border-color: #1f5f4a; }
  .hint { background: #eef6f2; border-left: 4px solid #1f5f4a; padding: .75rem 1rem; margin: 1rem 0; }
  .error { background: #fdecea; border-left: 4px solid #b3261e; padding: .75rem 1rem; margin: 1rem 0; }
</style>
</head>
<body><main>
<p><span class="badge">SANDBOX</span> Fentu FSM test authorization server — not a real Fentu account.</p>
${body}
</main></body>
</html>`;
}

export function loginPage({ uid, clientName, email = '', error }) {
  return layout(
    'Sign in',
    `<h1>Sign in to Fentu</h1>
<p>${escapeHtml(clientName)} wants to use your Fentu account.</p>
<div class="hint">Demo account: email <code>${escapeHtml(DEMO_ACCOUNT.email)}</code>,
password <code>${escapeHtml(DEMO_ACCOUNT.password)}</code> (a second technician for a shared tablet:
<code>${escapeHtml(SECOND_ACCOUNT.email)}</code>, same password)</div>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" required value="${escapeHtml(email)}" autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" required>
  <div class="actions">
    <button class="primary" type="submit">Sign in</button>
  </div>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort">
  <div class="actions"><button type="submit">Cancel</button></div>
</form>`,
  );
}

export function consentPage({ uid, clientName, scopes, email }) {
  const rows = scopes
    .map((scope) => {
      const text = FENTU_SCOPES[scope] ?? IDENTITY_SCOPES[scope] ?? 'Unknown scope';
      return `<label><input type="checkbox" name="scope" value="${escapeHtml(scope)}" checked>
  <span>${escapeHtml(text)} <code>${escapeHtml(scope)}</code></span></label>`;
    })
    .join('\n');
  return layout(
    'Allow access',
    `<h1>Allow ${escapeHtml(clientName)} to access your Fentu account?</h1>
<p>Signed in as ${escapeHtml(email)}. Untick anything you do not want to share.</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/confirm">
  <fieldset class="scopes"><legend>${escapeHtml(clientName)} asks to:</legend>
  ${rows}
  </fieldset>
  <div class="actions">
    <button class="primary" type="submit">Allow</button>
    <button type="submit" formaction="/interaction/${escapeHtml(uid)}/abort">Deny</button>
  </div>
</form>`,
  );
}

export function errorPage(message) {
  return layout('Something went wrong', `<h1>Something went wrong</h1><p class="error">${escapeHtml(message)}</p>`);
}

/**
 * The authorization server's error page for a request it will not answer by redirect (an unknown
 * client or a redirect_uri it cannot trust): the OAuth `error` and `error_description` as sent, as
 * oidc-provider's own page and other servers' pages show them.
 */
export function oauthErrorPage({ error, error_description: description }) {
  const row = (name, value) =>
    `<p><strong>${name}</strong>: <code data-field="${name}">${escapeHtml(value ?? '')}</code></p>`;
  return layout(
    'Something went wrong',
    `<h1>Something went wrong</h1>${row('error', error)}${description ? row('error_description', description) : ''}`,
  );
}
