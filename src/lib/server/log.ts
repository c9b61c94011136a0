/** How serious an event is. */
export type LogLevel = 'info' | 'warn' | 'error';

/** What an event may carry besides its name: ids, counts, statuses, names of things. */
export type LogFields = Record<string, unknown>;

/**
 * Field names whose text is never written: a secret, a token, a credential or a header that
 * carries one. Numbers and booleans under these names (counts, flags) are kept.
 */
const SENSITIVE = /secret|token|authorization|password|cookie|api[-_]?key|credential|dpop|assertion/i;
const REDACTED = '[redacted]';
/** Nested objects are followed this deep; a log line is not the place for whole documents. */
const MAX_DEPTH = 4;

function clean(key: string, value: unknown, depth: number): unknown {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return value;
  if (SENSITIVE.test(key)) return REDACTED;
  if (typeof value === 'string') return value;
  // An error's message and stack may quote a request, an upstream body or a token: its name only.
  if (value instanceof Error) return { name: value.name };
  if (depth >= MAX_DEPTH) return '[nested]';
  if (Array.isArray(value)) return value.map((item) => clean(key, item, depth + 1));
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, clean(name, item, depth + 1)]));
  }
  return String(value);
}

/** The fields with every secret-bearing value replaced and errors reduced to their names. */
export function redact(fields: LogFields): LogFields {
  return clean('', fields, 0) as LogFields;
}

/** Writes one finished line; the default sends info to stdout and warnings and errors to stderr. */
export type LogWriter = (level: LogLevel, line: string) => void;

const defaultWriter: LogWriter = (level, line) =>
  (level === 'info' ? process.stdout : process.stderr).write(`${line}\n`);

/**
 * A logger that writes one JSON line per event: `{"time","level","event",...fields}`. Fields
 * pass through {@link redact} first, so a secret or token handed to it by mistake is not written;
 * callers still log only ids, counts and statuses, never user data.
 */
export function createLogger(write: LogWriter = defaultWriter, now: () => Date = () => new Date()) {
  function emit(level: LogLevel, event: string, fields: LogFields = {}): void {
    const line: LogFields = { time: now().toISOString(), level, event };
    // The three fixed keys come first and cannot be overwritten by a field of the same name.
    for (const [name, value] of Object.entries(redact(fields))) if (!(name in line)) line[name] = value;
    write(level, JSON.stringify(line));
  }
  return {
    info: (event: string, fields?: LogFields) => emit('info', event, fields),
    warn: (event: string, fields?: LogFields) => emit('warn', event, fields),
    error: (event: string, fields?: LogFields) => emit('error', event, fields),
  };
}

export type Logger = ReturnType<typeof createLogger>;

/** The server's log. */
export const log: Logger = createLogger();
