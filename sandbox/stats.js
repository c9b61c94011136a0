// Counters of what the sandbox served, read by tests and the benchmark through GET /__sandbox/stats.
// Tests compare readings taken before and after an action, so counters only ever grow.

function emptyStats() {
  return {
    authorization: { requests: 0, approved: 0, denied: 0 },
    // Pushed authorization requests (RFC 9126), and those refused, by error code. Pushes answered
    // use_dpop_nonce only ask for a new proof: they are counted apart, as nonceChallenges.
    pushedAuthorization: { requests: 0, nonceChallenges: 0, errors: {} },
    token: {
      requests: 0,
      byGrantType: {},
      // Token requests answered with use_dpop_nonce; they are not counted by grant type.
      nonceChallenges: 0,
      errors: {},
      // When each refresh succeeded (epoch ms, the last 500), to check refreshes never race.
      refreshTimes: [],
      // graceReplays: a just-rotated refresh token presented again inside the grace window, answered
      // with the tokens it was rotated into (settings.refreshGrace).
      refresh: { succeeded: 0, rejected: 0, reuseDetected: 0, graceReplays: 0 },
    },
    revocation: { requests: 0, byHint: {} },
    // Token introspection (RFC 7662): by authenticated client, active or not, and refusals by error.
    introspection: { requests: 0, active: 0, inactive: 0, byClient: {}, errors: {} },
    grantsRevoked: 0,
    api: {
      requests: 0,
      byStatus: {},
      byRoute: {},
      rateLimited: 0,
      // POST /work-orders: orders created, answers replayed for a repeated Idempotency-Key, and
      // keys refused because they came back with another body.
      workOrders: { created: 0, replayed: 0, keyReused: 0 },
      // PATCH /work-orders/<id>: changes applied (and the last 500 of them, in the order they were
      // applied: id, status, version, Idempotency-Key), answers replayed for a repeated key, keys
      // refused because they came back with another request, 412s for a stale If-Match, and other
      // refusals (validation, transitions, a missing If-Match).
      statusChanges: { applied: 0, replayed: 0, keyReused: 0, conflicts: 0, refused: 0, log: [] },
      // Changes made "by the office" through the admin API (PUT /__sandbox/work-orders/<id>).
      officeUpdates: 0,
    },
    clientCredentials: { byClient: {}, lastRequest: {}, issued: {} },
    m2m: { requests: 0, byStatus: {}, byRoute: {} },
  };
}

export const stats = emptyStats();

export function bump(record, key, by = 1) {
  record[key] = (record[key] ?? 0) + by;
}
