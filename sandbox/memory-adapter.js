// An unbounded in-memory adapter for oidc-provider. The stock one is an LRU capped at 1,000 entries,
// which silently drops grants and refresh tokens during long test runs; this one keeps every record
// until it expires and sweeps expired records once a minute.

const records = new Map();
const SWEEP_INTERVAL_MS = 60_000;

function key(model, id) {
  return `${model}:${id}`;
}

function sweep() {
  const now = Date.now();
  for (const [k, { expiresAt }] of records) {
    if (expiresAt !== undefined && expiresAt <= now) records.delete(k);
  }
}
setInterval(sweep, SWEEP_INTERVAL_MS).unref();

function read(k) {
  const record = records.get(k);
  if (!record) return undefined;
  if (record.expiresAt !== undefined && record.expiresAt <= Date.now()) {
    records.delete(k);
    return undefined;
  }
  return record;
}

export class MemoryAdapter {
  constructor(model) {
    this.model = model;
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : undefined;
    records.set(key(this.model, id), { payload: structuredClone(payload), expiresAt });
    if (payload.grantId) {
      const grantKey = key('GrantIndex', payload.grantId);
      const index = records.get(grantKey)?.payload ?? [];
      index.push(key(this.model, id));
      records.set(grantKey, { payload: index, expiresAt: undefined });
    }
    if (payload.userCode) records.set(key('UserCode', payload.userCode), { payload: id, expiresAt });
    if (payload.uid) records.set(key('Uid', payload.uid), { payload: id, expiresAt });
  }

  async find(id) {
    const payload = read(key(this.model, id))?.payload;
    return payload ? structuredClone(payload) : undefined;
  }

  async findByUserCode(userCode) {
    const id = read(key('UserCode', userCode))?.payload;
    return id ? this.find(id) : undefined;
  }

  async findByUid(uid) {
    const id = read(key('Uid', uid))?.payload;
    return id ? this.find(id) : undefined;
  }

  async consume(id) {
    const record = read(key(this.model, id));
    if (record) record.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    records.delete(key(this.model, id));
  }

  async revokeByGrantId(grantId) {
    const grantKey = key('GrantIndex', grantId);
    for (const k of records.get(grantKey)?.payload ?? []) records.delete(k);
    records.delete(grantKey);
  }
}

/** Refresh tokens the store still holds for a grant, for the admin API. */
export function liveRefreshTokens() {
  const now = Date.now();
  let active = 0;
  let consumed = 0;
  for (const [k, { payload, expiresAt }] of records) {
    if (!k.startsWith('RefreshToken:')) continue;
    if (expiresAt !== undefined && expiresAt <= now) continue;
    if (payload.consumed) consumed += 1;
    else active += 1;
  }
  return { active, consumed };
}
