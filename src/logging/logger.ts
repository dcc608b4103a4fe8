import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear in a log line. Request bodies are never logged,
 * but errors and domain events can carry these fields, and a secret must not reach the logs.
 * redactSecrets() below catches the same names at any depth; these paths stay as pino's own
 * (fast) pass over what the serializers produce.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'refresh_token',
  '*.refresh_token',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

export const CENSOR = '[redacted]';

/** Field names whose values are secrets wherever they are nested: passwords and hashes, tokens, keys, cookies. */
const SECRET_KEY = /pass(word|wd|phrase)|token|secret|authorization|cookie|private_?key|api_?key|credential/i;

/** Deeper than this, a value is replaced rather than walked: log lines are not the place for deep structures. */
const MAX_DEPTH = 12;

/**
 * Fields of pg's DatabaseError and TypeORM's QueryFailedError that can hold data: the SQL text,
 * its parameters (emails, password hashes), `detail` ("Key (email)=(mia@...) already exists"),
 * `where` (the statement context) and the internal query. Never logged.
 */
const DATABASE_ERROR_DATA = new Set(['query', 'parameters', 'detail', 'where', 'internalQuery', 'internalPosition', 'driverError']);

/** What of a database error is safe and useful: the SQLSTATE and the names of the objects involved. */
const DATABASE_ERROR_NAMES = ['code', 'severity', 'schema', 'table', 'column', 'dataType', 'constraint', 'routine'] as const;

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * SQLSTATE class 22 (data exception) messages quote the offending input, e.g.
 * `invalid input syntax for type uuid: "..."`: the quoted value is dropped.
 */
function safeDatabaseMessage(message: string, code: unknown): string {
  return typeof code === 'string' && code.startsWith('22') ? message.replace(/: ".*"$/s, ': "[redacted]"') : message;
}

/** An Error as a plain object, without the data fields of database errors; causes are serialized the same way. */
function serializeError(err: Error, depth: number): Record<string, unknown> {
  const fields = err as unknown as Record<string, unknown>;
  const driverError = fields.driverError as Record<string, unknown> | undefined;
  const isDatabaseError = driverError !== undefined || 'parameters' in fields || ('severity' in fields && 'routine' in fields);
  const code = fields.code ?? driverError?.code;
  const message = isDatabaseError ? safeDatabaseMessage(err.message, code) : err.message;
  // A null prototype, and `name`: a std err serializer applied after this one (pino-std-serializers')
  // then takes the type from `name` rather than reporting "Object".
  const out: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, {
    type: err.constructor?.name ?? err.name,
    name: err.constructor?.name ?? err.name,
    message,
    stack: err.stack?.replace(err.message, message),
  });
  for (const [key, value] of Object.entries(fields)) {
    if (key in out || (isDatabaseError && DATABASE_ERROR_DATA.has(key))) continue;
    out[key] = value;
  }
  if (driverError) {
    for (const name of DATABASE_ERROR_NAMES) if (driverError[name] !== undefined && out[name] === undefined) out[name] = driverError[name];
  }
  if (err.cause !== undefined) out.cause = redactSecrets(err.cause, depth + 1);
  return out;
}

/**
 * A copy of `value` with every secret-named field censored at any depth, errors turned into
 * plain objects without their database data, and cycles cut. Class instances other than errors
 * (a request, a response) are left for pino's serializers, which keep only safe fields.
 */
export function redactSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) return redactSecrets(serializeError(value, depth), depth, new WeakSet());
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1, seen));
  if (!isPlainObject(value)) return value;
  const out = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && item !== undefined && item !== null ? CENSOR : redactSecrets(item, depth + 1, seen);
  }
  return out;
}

/** The service's version (package.json), found from here upwards: src/logging in development, dist/src/logging in the build. */
function serviceVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@cathouse/auth-service') return pkg.version ?? 'unknown';
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

/** Fields on every line: which service, which instance (host name and process: a container's or pod's name), which version. */
export const LOG_BASE = Object.freeze({ service: 'cathouse-auth', instance: `${hostname()}/${process.pid}`, version: serviceVersion() });

export interface LoggerOptions {
  /**
   * Readable lines (pino-pretty) instead of JSON: for a developer's terminal only (main.ts asks
   * for it when stdout is a TTY outside production). It formats in a worker thread, after the
   * redaction below has run.
   */
  pretty?: boolean;
}

export function createLogger(level: string, destination?: pino.DestinationStream, { pretty = false }: LoggerOptions = {}): Logger {
  const target = destination ?? (pretty ? pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service,instance,version' } }) : undefined);
  return pino(
    {
      level,
      base: LOG_BASE,
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      // Runs on every logged object before the serializers: secrets at any depth, and errors
      // (already plain objects afterwards, which pino's err serializer passes through).
      formatters: { log: (object) => redactSecrets(object) as Record<string, unknown> },
      serializers: { err: (err: unknown) => (err instanceof Error ? redactSecrets(err) : err) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    target,
  );
}
