// The sandbox's admin API for tests and the benchmark, on the issuer's port under /__sandbox/.
// GET stats; PUT settings (token lifetimes, rate limit, M2M faults, PAR advertised); DELETE
// settings to restore the defaults; POST user-token mints a Fentu API access token for the demo
// account, or for the account whose `email` it names (bench and tests). POST work-orders creates a
// work order and PUT work-orders/<id> changes one as the office would in Fentu's own screens (any
// field, any status, a new version), so a test can have a job of its own and make a real conflict.

import { mintUserAccessToken } from './authorization-server.js';
import { readBody } from './http.js';
import { liveRefreshTokens } from './memory-adapter.js';
import { workOrders } from './data.js';
import { resetRateLimits, validateAndCreate } from './fentu-api.js';
import { ACCOUNTS, DEMO_ACCOUNT, SETTINGS, current, resetSettings, updateSettings } from './settings.js';
import { bump, stats } from './stats.js';
import { officeUpdate, present } from './work-orders.js';

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

const MAX_BODY = 4096;
const ALLOWED_HOSTS = new Set([`${SETTINGS.host}:${SETTINGS.issuerPort}`, `localhost:${SETTINGS.issuerPort}`]);

export async function handleAdmin(provider, req, res) {
  // Only callers that name this server by its loopback address: a web page that rebinds its own
  // DNS name to 127.0.0.1 sends its own name as Host, and is refused.
  if (!ALLOWED_HOSTS.has(req.headers.host ?? '')) return json(res, 403, { error: 'admin API is loopback-only' });
  const path = new URL(req.url, 'http://sandbox').pathname;
  if (req.method === 'GET' && path === '/__sandbox/stats') {
    return json(res, 200, { ...stats, refreshTokens: liveRefreshTokens(), settings: current });
  }
  if (req.method === 'POST' || req.method === 'PUT') {
    try {
      req.json = JSON.parse((await readBody(req, MAX_BODY)) || '{}');
    } catch (err) {
      return json(res, 400, { error: err.message });
    }
  }
  if (path === '/__sandbox/user-token' && req.method === 'POST') {
    const scope = typeof req.json.scope === 'string' ? req.json.scope : 'read:work-orders';
    const account = ACCOUNTS.find((a) => a.email === (req.json.email ?? DEMO_ACCOUNT.email));
    if (!account) return json(res, 400, { error: 'no sandbox account has that email' });
    return json(res, 200, { access_token: await mintUserAccessToken(provider, scope, account) });
  }
  if (path === '/__sandbox/work-orders' && req.method === 'POST') {
    const [status, body] = validateAndCreate(JSON.stringify(req.json), { counted: false });
    return json(res, status, body);
  }
  const orderPath = /^\/__sandbox\/work-orders\/([^/]+)$/.exec(path);
  if (orderPath && req.method === 'PUT') {
    const order = workOrders.find((o) => o.id === decodeURIComponent(orderPath[1]));
    if (!order) return json(res, 404, { error: 'no such work order' });
    const refusal = officeUpdate(order, req.json);
    if (refusal) return json(res, 400, { error: refusal });
    bump(stats.api, 'officeUpdates');
    return json(res, 200, { data: present(order) });
  }
  if (path === '/__sandbox/settings' && req.method === 'PUT') {
    try {
      updateSettings(req.json);
    } catch (err) {
      return json(res, 400, { error: err.message });
    }
    resetRateLimits();
    return json(res, 200, current);
  }
  if (path === '/__sandbox/settings' && req.method === 'DELETE') {
    resetSettings();
    resetRateLimits();
    return json(res, 200, current);
  }
  return json(res, 404, { error: 'unknown admin route' });
}
