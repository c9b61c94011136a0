// Status changes of one work order for the stand-in Fentu API: PATCH /work-orders/<id> with an
// If-Match precondition (RFC 9110 §13.1.1) against the order's strong ETag, and the office's own
// changes made through the admin API. The real Fentu docs describe no PATCH; this is the sandbox's
// own, documented policy:
//
// - Allowed changes: scheduled → in_progress → on_hold (a `reason` is required) → in_progress →
//   completed (an optional `note`). Anything else is refused with 422 and the allowed next steps.
// - Every change bumps the order's `version`; its ETag is `"<id>.v<version>"`.
// - If-Match is required (428 without it, RFC 6585 §3). A stale one is refused with 412 Precondition
//   Failed, the status RFC 9110 gives a failed If-Match, with the order as it is now in `current` and
//   its ETag in the header. 409 stays what it already means in this API: a request with the same
//   Idempotency-Key is still being processed.
// - Preconditions are evaluated before the body is read (RFC 9110 §13.2.1).

/** Which statuses each status may change to. */
export const NEXT_STATUSES = Object.freeze({
  scheduled: Object.freeze(['in_progress']),
  in_progress: Object.freeze(['on_hold', 'completed']),
  on_hold: Object.freeze(['in_progress']),
  completed: Object.freeze([]),
});

export const STATUSES = Object.freeze(Object.keys(NEXT_STATUSES));

/** Longest hold reason or completion note kept. */
const MAX_TEXT = 500;

/** The order's strong entity tag (RFC 9110 §8.8.3). */
export function etagOf(order) {
  return `"${order.id}.v${order.version}"`;
}

/** The order as the API shows it: with its ETag, so a list entry can be changed without reading it again. */
export function present(order) {
  return { ...order, etag: etagOf(order) };
}

/**
 * The entity tags of an If-Match header (RFC 9110 §13.1.1): `{ any: true }` for `*`, `{ tags }`
 * otherwise, `{ missing: true }` without the header, `{ error }` when it is not a list of tags.
 */
export function parseIfMatch(header) {
  if (header === undefined) return { missing: true };
  const value = (Array.isArray(header) ? header.join(',') : header).trim();
  if (value === '*') return { any: true };
  const tags = [];
  const pattern = /\s*(W\/)?("[\x21\x23-\x7e]*")\s*(,|$)/y;
  let match;
  while (pattern.lastIndex < value.length && (match = pattern.exec(value))) {
    tags.push({ weak: Boolean(match[1]), tag: match[2] });
    if (match[3] === '') break;
  }
  if (!tags.length || pattern.lastIndex < value.length) {
    return { error: 'If-Match must be a list of entity tags such as "WO-3001.v1", or *.' };
  }
  return { tags };
}

/** Whether the precondition holds for `order`: strong comparison, so a weak tag never matches. */
function matches(ifMatch, order) {
  if (ifMatch.any) return true;
  return ifMatch.tags.some(({ weak, tag }) => !weak && tag === etagOf(order));
}

const problem = (status, error, description, extra = {}) => [
  status,
  { error, error_description: description, ...extra },
];

/** The change a PATCH body asks for, or the `[status, body]` refusal. */
function readChange(raw, order) {
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    return { refusal: problem(400, 'invalid_request', 'The body must be a JSON object.') };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { refusal: problem(400, 'invalid_request', 'The body must be a JSON object.') };
  }
  const unknown = Object.keys(body).filter((name) => !['status', 'reason', 'note'].includes(name));
  if (unknown.length) {
    return {
      refusal: problem(400, 'invalid_request', `Unknown field ${unknown.join(', ')}; send status, reason or note.`),
    };
  }
  if (!STATUSES.includes(body.status)) {
    return { refusal: problem(400, 'invalid_request', `status must be one of ${STATUSES.join(', ')}`) };
  }
  for (const name of ['reason', 'note']) {
    if (body[name] !== undefined && typeof body[name] !== 'string') {
      return { refusal: problem(400, 'invalid_request', `${name} must be a string`) };
    }
  }
  const allowed = NEXT_STATUSES[order.status];
  if (!allowed.includes(body.status)) {
    const next = allowed.length ? `it can go to ${allowed.join(' or ')}` : 'it cannot change any more';
    return {
      refusal: problem(422, 'invalid_transition', `The work order is ${order.status}; ${next}, not ${body.status}.`, {
        current: present(order),
        allowed,
      }),
    };
  }
  const reason = body.reason?.trim().slice(0, MAX_TEXT) ?? '';
  if (body.status === 'on_hold' && !reason) {
    return { refusal: problem(422, 'invalid_request', 'reason is required to put a work order on hold.') };
  }
  if (body.status !== 'on_hold' && body.reason !== undefined) {
    return { refusal: problem(422, 'invalid_request', 'reason is only for putting a work order on hold.') };
  }
  if (body.status !== 'completed' && body.note !== undefined) {
    return { refusal: problem(422, 'invalid_request', 'note is only for completing a work order.') };
  }
  return { change: { status: body.status, reason, note: body.note?.trim().slice(0, MAX_TEXT) ?? '' } };
}

/**
 * Applies a technician's status change to `order` (changed in place) and returns
 * `[status, body, headers]`: 200 with the order and its new ETag, or the refusal.
 */
export function changeStatus(order, { raw, ifMatchHeader, now = new Date() }) {
  const ifMatch = parseIfMatch(ifMatchHeader);
  if (ifMatch.error) return problem(400, 'invalid_request', ifMatch.error);
  if (ifMatch.missing) {
    return problem(
      428,
      'precondition_required',
      'Send If-Match with the ETag of the work order as you last read it, so a change made meanwhile is not overwritten.',
    );
  }
  if (!matches(ifMatch, order)) {
    return [
      ...problem(
        412,
        'precondition_failed',
        `The work order changed since you read it; it is now ${order.status} (version ${order.version}).`,
        { current: present(order) },
      ),
      { etag: etagOf(order) },
    ];
  }
  const { refusal, change } = readChange(raw, order);
  if (refusal) return refusal;
  order.status = change.status;
  order.holdReason = change.status === 'on_hold' ? change.reason : null;
  if (change.status === 'completed') order.completionNote = change.note || null;
  order.version += 1;
  order.updatedAt = now.toISOString();
  return [200, { data: present(order) }, { etag: etagOf(order) }];
}

/** Fields the office may change through the admin API. */
const OFFICE_FIELDS = ['status', 'title', 'priority', 'scheduledFor', 'holdReason'];

/**
 * The office changes `order` (changed in place), as a dispatcher would in Fentu's own screens: any
 * status, no transition rules. Returns the refusal message, or undefined.
 */
export function officeUpdate(order, changes, now = new Date()) {
  const unknown = Object.keys(changes ?? {}).filter((name) => !OFFICE_FIELDS.includes(name));
  if (unknown.length) return `unknown field ${unknown.join(', ')}; allowed: ${OFFICE_FIELDS.join(', ')}`;
  if (changes.status !== undefined && !STATUSES.includes(changes.status)) {
    return `status must be one of ${STATUSES.join(', ')}`;
  }
  for (const name of OFFICE_FIELDS) {
    if (changes[name] !== undefined && changes[name] !== null && typeof changes[name] !== 'string') {
      return `${name} must be a string`;
    }
  }
  Object.assign(order, changes);
  if (changes.status !== undefined && changes.status !== 'on_hold' && changes.holdReason === undefined) {
    order.holdReason = null;
  }
  order.version += 1;
  order.updatedAt = now.toISOString();
  return undefined;
}
