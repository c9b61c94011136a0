// The stand-in Fentu FSM API: seeded work orders, customers and assets behind bearer JWT access
// tokens from the sandbox issuer (validated by oauth4webapi against the issuer's JWKS), with scope
// checks, RFC 6750 errors and the X-RateLimit-* headers of the Fentu docs.

import { authenticate, challenge, schemeOf } from './bearer.js';
import { PRIORITIES, assets, customers, workOrders } from './data.js';
import { readBody } from './http.js';
import { createIdempotencyStore, parseIdempotencyKey } from './idempotency.js';
import { SETTINGS, current } from './settings.js';
import { bump, stats } from './stats.js';
import { changeStatus, etagOf, present } from './work-orders.js';

const ROUTES = {
  'GET /work-orders': { scope: 'read:work-orders', handle: () => [200, { data: workOrders.map(present) }] },
  'POST /work-orders': { scope: 'write:work-orders', handle: createWorkOrder },
  'GET /work-orders/:id': { scope: 'read:work-orders', handle: readWorkOrder },
  'PATCH /work-orders/:id': { scope: 'write:work-orders', handle: patchWorkOrder },
  'GET /customers': { scope: 'read:customers', handle: () => [200, { data: customers }] },
  'GET /assets': { scope: 'read:assets', handle: () => [200, { data: assets }] },
};

/** The route for a request and its `:id`, if any: `/work-orders/WO-3001` is `/work-orders/:id`. */
function routeOf(method, path) {
  const exact = `${method} ${path}`;
  if (ROUTES[exact]) return { key: exact, route: ROUTES[exact] };
  const match = /^\/work-orders\/([^/]+)$/.exec(path);
  if (!match) return { key: exact };
  const key = `${method} /work-orders/:id`;
  return { key, route: ROUTES[key], id: decodeURIComponent(match[1]) };
}

const EXPOSED_HEADERS =
  'WWW-Authenticate, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Idempotent-Replayed, ETag';
const idempotency = createIdempotencyStore();
const windows = new Map();
/** Forgets every caller's rate-limit window (admin API). */
export function resetRateLimits() {
  windows.clear();
}

function corsHeaders(req) {
  const origin = req.headers.origin;
  if (!origin || !SETTINGS.appOrigins.includes(origin)) return {};
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED_HEADERS, vary: 'Origin' };
}

function send(req, res, status, body, headers = {}) {
  bump(stats.api.byStatus, String(status));
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...corsHeaders(req),
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function rateLimit(claims) {
  const key = `${claims.client_id}:${claims.sub}`;
  const now = Math.floor(Date.now() / 1000);
  let window = windows.get(key);
  if (!window || window.resetAt <= now) {
    window = { resetAt: now + current.rateLimitWindow, used: 0 };
    windows.set(key, window);
  }
  window.used += 1;
  const headers = {
    'x-ratelimit-limit': String(current.rateLimit),
    'x-ratelimit-remaining': String(Math.max(0, current.rateLimit - window.used)),
    'x-ratelimit-reset': String(window.resetAt),
  };
  if (window.used > current.rateLimit) headers['retry-after'] = String(window.resetAt - now);
  return { limited: window.used > current.rateLimit, headers };
}

/**
 * POST /work-orders. With an `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header), the
 * same key and body from the same client and user within 24 h get the first 201 again, marked
 * `Idempotent-Replayed: true`; the same key with another body is refused with 422.
 */
async function createWorkOrder(req, claims) {
  let raw;
  try {
    raw = await readBody(req);
  } catch {
    return [413, { error: 'invalid_request', error_description: 'The body is too large.' }];
  }
  const { key, error } = parseIdempotencyKey(req.headers['idempotency-key']);
  if (error) return [400, { error: 'invalid_request', error_description: error }];
  if (key === undefined) return validateAndCreate(raw);
  const attempt = idempotency.begin(`${claims.client_id}\n${claims.sub}`, key, raw);
  if (attempt.replay) {
    bump(stats.api.workOrders, 'replayed');
    return [attempt.replay.status, attempt.replay.body, { 'idempotent-replayed': 'true' }];
  }
  if (attempt.conflict === 409) {
    return [
      409,
      { error: 'conflict', error_description: 'A request with this Idempotency-Key is still being processed.' },
    ];
  }
  if (attempt.conflict === 422) {
    bump(stats.api.workOrders, 'keyReused');
    return [
      422,
      {
        error: 'invalid_request',
        error_description: 'This Idempotency-Key was already used with a different request body.',
      },
    ];
  }
  const [status, body, headers] = validateAndCreate(raw);
  attempt.proceed(status, body);
  return [status, body, headers];
}

const noSuchOrder = (id) => [404, { error: 'not_found', error_description: `No work order ${id}` }];

/** GET /work-orders/<id>, with its ETag for a later If-Match. */
function readWorkOrder(req, claims, id) {
  const order = workOrders.find((o) => o.id === id);
  if (!order) return noSuchOrder(id);
  return [200, { data: present(order) }, { etag: etagOf(order) }];
}

/**
 * PATCH /work-orders/<id>: a status change under If-Match (see work-orders.js). With an
 * `Idempotency-Key`, the same key, order, If-Match and body get the first 200 again, marked
 * `Idempotent-Replayed: true`, even though the order's ETag has moved on since; the same key with
 * anything else is refused with 422.
 */
async function patchWorkOrder(req, claims, id) {
  let raw;
  try {
    raw = await readBody(req);
  } catch {
    return [413, { error: 'invalid_request', error_description: 'The body is too large.' }];
  }
  const { key, error } = parseIdempotencyKey(req.headers['idempotency-key']);
  if (error) return [400, { error: 'invalid_request', error_description: error }];
  const order = workOrders.find((o) => o.id === id);
  if (!order) return noSuchOrder(id);
  const changes = stats.api.statusChanges;
  const apply = () => {
    const answer = changeStatus(order, { raw, ifMatchHeader: req.headers['if-match'] });
    if (answer[0] === 200) {
      bump(changes, 'applied');
      changes.log.push({ id, status: order.status, version: order.version, key: key ?? null });
      if (changes.log.length > 500) changes.log.shift();
    } else bump(changes, answer[0] === 412 ? 'conflicts' : 'refused');
    return answer;
  };
  if (key === undefined) return apply();
  const request = `PATCH /work-orders/${id}\n${req.headers['if-match'] ?? ''}\n${raw}`;
  const attempt = idempotency.begin(`${claims.client_id}\n${claims.sub}`, key, request);
  if (attempt.replay) {
    bump(changes, 'replayed');
    return [attempt.replay.status, attempt.replay.body, { 'idempotent-replayed': 'true' }];
  }
  if (attempt.conflict === 409) {
    return [
      409,
      { error: 'conflict', error_description: 'A request with this Idempotency-Key is still being processed.' },
    ];
  }
  if (attempt.conflict === 422) {
    bump(changes, 'keyReused');
    return [
      422,
      {
        error: 'invalid_request',
        error_description: 'This Idempotency-Key was already used with a different request.',
      },
    ];
  }
  const [status, body, headers] = apply();
  attempt.proceed(status, body);
  return [status, body, headers];
}

/**
 * Creates a work order from a JSON body as POST /work-orders does; `[status, body, headers]`.
 * `counted: false` for orders the admin API creates, which are not the app's.
 */
export function validateAndCreate(raw, { counted = true } = {}) {
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    return [400, { error: 'invalid_request', error_description: 'The body must be a JSON object.' }];
  }
  const problems = [];
  if (typeof body?.title !== 'string' || !body.title.trim()) problems.push('title is required');
  if (!customers.some((c) => c.id === body?.customerId)) problems.push('customerId must name a known customer');
  if (body?.assetId !== undefined && !assets.some((a) => a.id === body.assetId))
    problems.push('assetId must name a known asset');
  if (body?.priority !== undefined && !PRIORITIES.includes(body.priority))
    problems.push(`priority must be one of ${PRIORITIES.join(', ')}`);
  if (problems.length) return [400, { error: 'invalid_request', error_description: problems.join('; ') }];
  const order = {
    id: `WO-${3001 + workOrders.length}`,
    title: body.title.trim().slice(0, 200),
    customerId: body.customerId,
    assetId: body.assetId ?? null,
    priority: body.priority ?? 'normal',
    status: 'scheduled',
    scheduledFor: typeof body.scheduledFor === 'string' ? body.scheduledFor : null,
    version: 1,
    holdReason: null,
    completionNote: null,
    updatedAt: null,
  };
  workOrders.push(order);
  if (counted) bump(stats.api.workOrders, 'created');
  return [201, { data: present(order) }, { etag: etagOf(order) }];
}

/** The API's request handler. */
export async function handleApi(req, res) {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      ...corsHeaders(req),
      'access-control-allow-methods': 'GET, POST, PATCH',
      'access-control-allow-headers': 'authorization, content-type, dpop, idempotency-key, if-match',
      'access-control-max-age': '600',
    });
    return res.end();
  }
  const path = new URL(req.url, SETTINGS.apiBaseUrl).pathname.replace(/\/$/, '');
  const { key: routeKey, route, id } = routeOf(req.method, path);
  bump(stats.api, 'requests');
  if (!route) return send(req, res, 404, { error: 'not_found', error_description: `No route ${req.method} ${path}` });
  bump(stats.api.byRoute, routeKey);

  const { claims, failure } = await authenticate(req, SETTINGS.apiBaseUrl, SETTINGS.apiBaseUrl);
  if (failure) {
    return send(
      req,
      res,
      401,
      { error: 'invalid_token', error_description: failure[1] },
      { 'www-authenticate': failure[0] },
    );
  }
  const granted = new Set(String(claims.scope ?? '').split(' '));
  if (!granted.has(route.scope) && !granted.has('admin')) {
    const description = `This call needs the ${route.scope} scope`;
    return send(
      req,
      res,
      403,
      { error: 'insufficient_scope', error_description: description, scope: route.scope },
      { 'www-authenticate': challenge('insufficient_scope', description, `, scope="${route.scope}"`, schemeOf(req)) },
    );
  }
  const { limited, headers } = rateLimit(claims);
  if (limited) {
    bump(stats.api, 'rateLimited');
    return send(
      req,
      res,
      429,
      { error: 'rate_limited', error_description: 'Too many requests; wait until X-RateLimit-Reset.' },
      headers,
    );
  }
  const [status, body, extra = {}] = await route.handle(req, claims, id);
  return send(req, res, status, body, { ...headers, ...extra });
}
