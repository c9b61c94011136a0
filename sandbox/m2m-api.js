// A stand-in machine-to-machine API in the Fenergo style: it takes only service tokens issued to
// the sandbox's confidential clients, needs `x-tenant-id` on tenant data, and checks scopes.
// Admin settings can make it answer 401 (to show a token being re-fetched) and it has a route that
// redirects off-host (the server route must not follow it).

import { authenticate, challenge } from './bearer.js';
import { SETTINGS, current } from './settings.js';
import { bump, stats } from './stats.js';

const ENTITIES = [
  { id: 'LE-5001', name: 'Harbourside Medical Centre Ltd', jurisdiction: 'GB', riskRating: 'low' },
  { id: 'LE-5002', name: 'Cobalt Data Park Holdings plc', jurisdiction: 'GB', riskRating: 'medium' },
  { id: 'LE-5003', name: 'Severn Cold Storage LLP', jurisdiction: 'GB', riskRating: 'low' },
];
const JOURNEYS = [
  { id: 'JR-7001', entityId: 'LE-5002', type: 'Periodic review', status: 'in_progress' },
  { id: 'JR-7002', entityId: 'LE-5003', type: 'Onboarding', status: 'completed' },
];
const POLICIES = [
  { id: 'POL-88120', holder: 'The Old Mill Hotel', cover: 'Property', renewal: '2027-03-01' },
  { id: 'POL-88121', holder: 'Northgate Primary School', cover: 'Liability', renewal: '2027-01-15' },
];

/** Path → the scope it needs and whether it is tenant data (needs x-tenant-id). */
const ROUTES = {
  '/entities': { scope: 'fenx.entitydata.read', tenant: true, data: ENTITIES },
  '/journeys': { scope: 'fenx.journey.read', tenant: true, data: JOURNEYS },
  '/policies': { scope: undefined, tenant: false, data: POLICIES },
};

function send(res, status, body, headers = {}) {
  bump(stats.m2m.byStatus, String(status));
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/** The M2M API's request handler. */
export async function handleM2m(req, res) {
  bump(stats.m2m, 'requests');
  const path = new URL(req.url, SETTINGS.m2mBaseUrl).pathname.replace(/\/$/, '');
  bump(stats.m2m.byRoute, `${req.method} ${path}`);
  if (path === '/redirect-out') {
    bump(stats.m2m.byStatus, '302');
    res.writeHead(302, { location: 'http://127.0.0.1:2375/latest/meta-data/' });
    return res.end();
  }
  const route = ROUTES[path];
  if (!route || req.method !== 'GET') return send(res, 404, { error: 'not_found' });

  const { claims, failure } = await authenticate(req, SETTINGS.m2mBaseUrl, SETTINGS.m2mBaseUrl);
  if (failure) return send(res, 401, { error: 'invalid_token' }, { 'www-authenticate': failure[0] });
  if (current.m2mFail401 > 0) {
    current.m2mFail401 -= 1;
    return send(res, 401, { error: 'invalid_token' }, { 'www-authenticate': challenge('invalid_token', 'revoked') });
  }
  const scopes = new Set(String(claims.scope ?? '').split(' '));
  if (route.scope && !scopes.has(route.scope) && !scopes.has('fenx.all')) {
    return send(res, 403, { error: 'insufficient_scope', scope: route.scope });
  }
  if (route.tenant) {
    const tenant = req.headers['x-tenant-id'];
    if (!tenant) return send(res, 400, { error: 'x-tenant-id header is required' });
    if (tenant !== SETTINGS.tenantId || !scopes.has(`tenant/${SETTINGS.tenantId}`)) {
      return send(res, 403, { error: 'this credential has no access to that tenant' });
    }
  }
  return send(res, 200, { data: route.data });
}
