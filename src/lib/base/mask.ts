// Masking credentials for display: shared by the inspector and the server's status answers.

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** True when a string has the shape of a JWS: three base64url parts, the first two non-empty. */
function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  return parts.length === 3 && parts[0] !== '' && parts[1] !== '' && parts.every((p) => BASE64URL.test(p));
}

/**
 * Masks a token for display. The rule: at most the first 6 and the last 4 characters stay
 * visible, and together never more than a third of the token; a token too short to show 4
 * characters that way (under 12 characters) is masked completely. The middle becomes its length,
 * with 'JWT' when the token has a JWT's shape, e.g. `eyJhbG…(812 chars, JWT)…Ux9Q`.
 */
export function maskToken(token: string): string {
  if (typeof token !== 'string') return '…(not a string)…';
  // Code points, so the visible ends never split a surrogate pair.
  const chars = Array.from(token);
  const n = chars.length;
  if (n === 0) return '(empty)';
  const kind = looksLikeJwt(token) ? ', JWT' : '';
  const middle = `(${n} ${n === 1 ? 'char' : 'chars'}${kind})`;
  const budget = Math.min(10, Math.floor(n / 3));
  if (budget < 4) return `…${middle}…`;
  const head = Math.min(6, Math.ceil(budget * 0.6));
  const tail = Math.min(4, budget - head);
  return `${chars.slice(0, head).join('')}…${middle}…${chars.slice(n - tail).join('')}`;
}

/** Form fields and query parameters whose values are credentials: shown as `<name>` unless revealed. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'code', // RFC 6749 §4.1.3
  'code_verifier', // RFC 7636 §4.5
  'refresh_token', // RFC 6749 §6
  'client_secret', // RFC 6749 §2.3.1
  'client_assertion', // RFC 7521 §4.2
  'assertion', // RFC 7521 §4.1
  'token', // RFC 7009 §2.1, RFC 7662 §2.1
  'access_token', // RFC 6750 §2.3
  'id_token',
  'id_token_hint',
  'subject_token', // RFC 8693 §2.1
  'actor_token',
  'device_code', // RFC 8628 §3.4
  'password', // RFC 6749 §4.3.2
]);

/**
 * A copy of parsed JSON with every credential-named member (SECRET_FIELDS), at any depth, replaced
 * by `mask(key, value)`.
 */
export function maskMembers(value: unknown, mask: (key: string, value: unknown) => unknown, depth = 0): unknown {
  if (depth > 32 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => maskMembers(v, mask, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      SECRET_FIELDS.has(key) ? mask(key, v) : maskMembers(v, mask, depth + 1),
    ]),
  );
}
