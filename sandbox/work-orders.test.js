import { createServer, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { changeStatus, etagOf, officeUpdate, parseIfMatch } from './work-orders.js';

// The API's bearer checks need the issuer; here a token is its scope, and the caller is fixed.
vi.mock('./bearer.js', () => ({
  authenticate: async (req) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    return token
      ? { claims: { client_id: 'fieldpass', sub: 'tech-0042', scope: token } }
      : { failure: ['Bearer', 'none'] };
  },
  challenge: (error) => `Bearer error="${error}"`,
  schemeOf: () => 'Bearer',
}));

const { handleApi } = await import('./fentu-api.js');
const { handleAdmin } = await import('./admin.js');
const { workOrders } = await import('./data.js');
const { stats } = await import('./stats.js');
const { SETTINGS } = await import('./settings.js');

const order = (overrides = {}) => ({ id: 'WO-1', status: 'scheduled', version: 1, holdReason: null, ...overrides });
const patch = (target, body, ifMatch = etagOf(target)) =>
  changeStatus(target, { raw: JSON.stringify(body), ifMatchHeader: ifMatch, now: new Date(0) });

describe('parseIfMatch', () => {
  it.each([
    ['"WO-1.v1"', { tags: [{ weak: false, tag: '"WO-1.v1"' }] }],
    [
      '"a", W/"b"',
      {
        tags: [
          { weak: false, tag: '"a"' },
          { weak: true, tag: '"b"' },
        ],
      },
    ],
    ['*', { any: true }],
    [undefined, { missing: true }],
  ])('%s', (header, parsed) => {
    expect(parseIfMatch(header)).toEqual(parsed);
  });

  it.each([['WO-1.v1'], ['"a" "b"'], ['""x'], ['']])('refuses %s', (header) => {
    expect(parseIfMatch(header).error).toBeTypeOf('string');
  });
});

describe('changeStatus', () => {
  it('walks scheduled → in_progress → on_hold → in_progress → completed, one version per change', () => {
    const target = order();
    expect(patch(target, { status: 'in_progress' })).toEqual([
      200,
      { data: expect.objectContaining({ status: 'in_progress', version: 2, etag: '"WO-1.v2"' }) },
      { etag: '"WO-1.v2"' },
    ]);
    expect(patch(target, { status: 'on_hold', reason: ' Waiting for parts ' })[0]).toBe(200);
    expect(target).toMatchObject({ status: 'on_hold', holdReason: 'Waiting for parts', version: 3 });
    expect(patch(target, { status: 'in_progress' })[0]).toBe(200);
    expect(target.holdReason).toBeNull();
    expect(patch(target, { status: 'completed', note: 'Replaced the belt' })[0]).toBe(200);
    expect(target).toMatchObject({ status: 'completed', completionNote: 'Replaced the belt', version: 5 });
    expect(target.updatedAt).toBe(new Date(0).toISOString());
  });

  it.each([
    ['not JSON', 'x', 400, 'invalid_request'],
    ['an array', [], 400, 'invalid_request'],
    ['an unknown status', { status: 'done' }, 400, 'invalid_request'],
    ['an unknown field', { status: 'in_progress', assignee: 'x' }, 400, 'invalid_request'],
    ['a reason that is not text', { status: 'on_hold', reason: 5 }, 400, 'invalid_request'],
    ['a step not allowed from scheduled', { status: 'completed' }, 422, 'invalid_transition'],
    ['no change', { status: 'scheduled' }, 422, 'invalid_transition'],
    ['a hold without reason', { status: 'on_hold', reason: ' ' }, 422, 'invalid_request', 'in_progress'],
    ['a note on a start', { status: 'in_progress', note: 'x' }, 422, 'invalid_request'],
  ])('refuses %s, changing nothing', (_, body, status, error, from = 'scheduled') => {
    const target = order({ status: from });
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const [code, answer] = changeStatus(target, { raw, ifMatchHeader: etagOf(target) });
    expect(code).toBe(status);
    expect(answer.error).toBe(error);
    expect(answer.error_description).toBeTypeOf('string');
    expect(target).toEqual(order({ status: from }));
  });

  it('says where a refused step could go instead', () => {
    const [, answer] = patch(order(), { status: 'completed' });
    expect(answer).toMatchObject({ allowed: ['in_progress'], current: { status: 'scheduled', etag: '"WO-1.v1"' } });
  });

  it('428 without If-Match; 412 with a stale or weak one, with the order as it is now', () => {
    const target = order({ status: 'in_progress', version: 4 });
    expect(changeStatus(target, { raw: '{"status":"completed"}', ifMatchHeader: undefined })[0]).toBe(428);
    const [status, body, headers] = patch(target, { status: 'completed' }, '"WO-1.v3"');
    expect(status).toBe(412);
    expect(body).toMatchObject({ error: 'precondition_failed', current: { status: 'in_progress', version: 4 } });
    expect(headers).toEqual({ etag: '"WO-1.v4"' });
    expect(patch(target, { status: 'completed' }, 'W/"WO-1.v4"')[0]).toBe(412);
    expect(target.version).toBe(4);
    // The precondition is checked before the body.
    expect(changeStatus(target, { raw: 'not json', ifMatchHeader: '"WO-1.v3"' })[0]).toBe(412);
    expect(patch(target, { status: 'completed' }, '*')[0]).toBe(200);
  });
});

describe('officeUpdate', () => {
  it('changes any field to any status with a new version, and refuses unknown fields', () => {
    const target = order({ status: 'on_hold', holdReason: 'parts' });
    expect(officeUpdate(target, { status: 'completed', title: 'Done by the office' })).toBeUndefined();
    expect(target).toMatchObject({ status: 'completed', title: 'Done by the office', holdReason: null, version: 2 });
    expect(officeUpdate(target, { assignee: 'x' })).toMatch(/unknown field/);
    expect(officeUpdate(target, { status: 'lost' })).toMatch(/status/);
    expect(target.version).toBe(2);
  });
});

describe('the API and the admin hook over HTTP', () => {
  let api;
  let admin;
  let apiUrl;
  let adminUrl;
  beforeAll(async () => {
    api = createServer((req, res) => void handleApi(req, res));
    admin = createServer((req, res) => void handleAdmin(undefined, req, res));
    await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve));
    // The admin API answers only callers that name the issuer's loopback address.
    await new Promise((resolve) => admin.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${api.address().port}`;
    adminUrl = `http://127.0.0.1:${admin.address().port}`;
  });
  afterAll(() => {
    api.close();
    admin.close();
  });

  const call = (path, { scope = 'read:work-orders write:work-orders', method = 'GET', headers = {}, body } = {}) =>
    fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${scope}`, ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  // Node's own client: fetch() may not set Host, which the admin API checks.
  const asOffice = (path, method, body) =>
    new Promise((resolve, reject) => {
      const req = request(`${adminUrl}${path}`, {
        method,
        headers: { host: `${SETTINGS.host}:${SETTINGS.issuerPort}` },
      });
      req.on('error', reject);
      req.on('response', async (res) => {
        let text = '';
        for await (const chunk of res) text += chunk;
        resolve({ status: res.statusCode, json: async () => JSON.parse(text) });
      });
      req.end(JSON.stringify(body));
    });
  const freshOrder = async () => {
    const created = await asOffice('/__sandbox/work-orders', 'POST', { title: 'Test job', customerId: 'CUS-1001' });
    expect(created.status).toBe(201);
    return (await created.json()).data;
  };

  it('lists and reads work orders with their ETags', async () => {
    const list = await (await call('/work-orders')).json();
    expect(list.data[0]).toMatchObject({ id: 'WO-3001', version: 1, etag: '"WO-3001.v1"' });
    const one = await call('/work-orders/WO-3001');
    expect(one.headers.get('etag')).toBe('"WO-3001.v1"');
    expect((await call('/work-orders/WO-0000')).status).toBe(404);
  });

  it('PATCH needs write:work-orders, like the other writes', async () => {
    const target = await freshOrder();
    const response = await call(`/work-orders/${target.id}`, {
      scope: 'read:work-orders',
      method: 'PATCH',
      headers: { 'if-match': target.etag },
      body: { status: 'in_progress' },
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope', scope: 'write:work-orders' });
    expect(workOrders.find((o) => o.id === target.id).status).toBe('scheduled');
  });

  it('applies a change once per Idempotency-Key, replays it after the ETag moved on, and logs it', async () => {
    const target = await freshOrder();
    const before = structuredClone(stats.api.statusChanges);
    const send = (key, body = { status: 'in_progress' }) =>
      call(`/work-orders/${target.id}`, {
        method: 'PATCH',
        headers: { 'if-match': target.etag, 'idempotency-key': `"${key}"` },
        body,
      });
    const first = await send('k-1');
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toBe(`"${target.id}.v2"`);
    const again = await send('k-1');
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await again.json()).data.version).toBe(2);
    expect((await send('k-1', { status: 'on_hold', reason: 'x' })).status).toBe(422);
    // A new key with the old ETag: the office's or our own change came first.
    expect((await send('k-2')).status).toBe(412);
    expect(workOrders.find((o) => o.id === target.id).version).toBe(2);
    const after = stats.api.statusChanges;
    expect(after.applied - before.applied).toBe(1);
    expect(after.replayed - before.replayed).toBe(1);
    expect(after.keyReused - before.keyReused).toBe(1);
    expect(after.conflicts - before.conflicts).toBe(1);
    expect(after.log.filter((entry) => entry.id === target.id)).toEqual([
      { id: target.id, status: 'in_progress', version: 2, key: 'k-1' },
    ]);
    expect(stats.api.byRoute['PATCH /work-orders/:id']).toBeGreaterThan(0);
  });

  it('a change by the office makes the next PATCH a 412 that carries both the new version and its ETag', async () => {
    const target = await freshOrder();
    const office = await asOffice(`/__sandbox/work-orders/${target.id}`, 'PUT', {
      status: 'on_hold',
      holdReason: 'Customer asked to wait',
    });
    expect(office.status).toBe(200);
    const conflict = await call(`/work-orders/${target.id}`, {
      method: 'PATCH',
      headers: { 'if-match': target.etag },
      body: { status: 'in_progress' },
    });
    expect(conflict.status).toBe(412);
    expect(conflict.headers.get('etag')).toBe(`"${target.id}.v2"`);
    const body = await conflict.json();
    expect(body.current).toMatchObject({ status: 'on_hold', holdReason: 'Customer asked to wait', version: 2 });
    // Applying it again over the office's version: If-Match with the ETag the conflict gave.
    const over = await call(`/work-orders/${target.id}`, {
      method: 'PATCH',
      headers: { 'if-match': body.current.etag },
      body: { status: 'in_progress' },
    });
    expect(over.status).toBe(200);
    expect((await asOffice('/__sandbox/work-orders/WO-0000', 'PUT', { status: 'completed' })).status).toBe(404);
    expect((await asOffice(`/__sandbox/work-orders/${target.id}`, 'PUT', { colour: 'red' })).status).toBe(400);
  });

  it('allows PATCH and If-Match across origins and exposes the ETag', async () => {
    const response = await fetch(`${apiUrl}/work-orders/WO-3001`, {
      method: 'OPTIONS',
      headers: { origin: SETTINGS.appOrigins[0] },
    });
    expect(response.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(response.headers.get('access-control-allow-headers')).toContain('if-match');
    const read = await call('/work-orders/WO-3001', { headers: { origin: SETTINGS.appOrigins[0] } });
    expect(read.headers.get('access-control-expose-headers')).toContain('ETag');
  });
});
