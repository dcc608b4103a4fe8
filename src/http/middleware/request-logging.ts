import { randomUUID } from 'node:crypto';
import type { Express, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../logging/logger';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id: the caller's `x-request-id` when it is short and plain, else a new UUID. */
    id: string;
    /** A logger whose lines carry the request's id, method and path (made on first use). */
    readonly log: Logger;
  }
}

/** A caller's request id is kept only if it is short and plain, so it cannot forge log lines. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const CHILD = Symbol('request logger');
const STARTED = Symbol('request started');

type Tracked = Request & { [CHILD]?: Logger; [STARTED]: bigint };

/** What of a request a log line names: never the query string, headers or body. */
function requestFields(req: Request): { id: string; method: string; path: string } {
  return { id: req.id, method: req.method, path: (req.originalUrl ?? req.url).split('?')[0]! };
}

export interface RequestLoggingOptions {
  /** The API's mount point, to name the route of a request whose router was left by an error. */
  apiPrefix?: string;
  /** Paths polled by machines (health, readiness, metrics): their lines are at debug. */
  probePaths?: readonly string[];
}

/** The matched route pattern (`/api/v1/auth/users/:id`), never the raw path; undefined when nothing matched. */
export function routePattern(req: Request, apiPrefix = ''): string | undefined {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern !== 'string') return undefined;
  // After an error the router has been left and baseUrl reset: the original URL tells which mount it was.
  const base = req.baseUrl || (apiPrefix && req.originalUrl.startsWith(`${apiPrefix}/`) ? apiPrefix : '');
  return `${base}${pattern}`;
}

/** What the completion line says went wrong: the stable error code, and a database outage's short reason. */
function outcomeFields(res: Response): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (typeof res.locals.errorCode === 'string') fields.error_code = res.locals.errorCode;
  if (typeof res.locals.databaseError === 'string') fields.database_error = res.locals.databaseError;
  return fields;
}

/**
 * Structured access log with a request id, echoed as `x-request-id`: one line per finished
 * request (`request completed`; `request aborted`, at warn, when the client left first; a 5xx
 * at error, except a known database outage at warn; health, readiness and metrics probes at
 * debug) with method, path, route pattern, client address, status, error code and time, never
 * bodies or headers. The logger's base adds the instance and version (logging/logger.ts).
 * docs/operations.md, "Logs", lists every field.
 *
 * It replaces pino-http, which made a child logger (and serialized the request into it) for
 * every request and listened on three events, whether or not anything was logged: about 5% of a
 * GET /me's service CPU in `npm run bench:profile`. Here `req.log` is a getter on the app's request
 * prototype that makes the child only when a handler logs, and the access line is one listener.
 */
export function requestLogging(app: Express, logger: Logger, { apiPrefix = '', probePaths = [] }: RequestLoggingOptions = {}): RequestHandler {
  const probes = new Set(probePaths);
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: Tracked): Logger {
      return (this[CHILD] ??= logger.child({ req: requestFields(this) }));
    },
  });
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    req.id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', req.id);
    // Nothing this request could write at the logger's level (silent): no listener.
    if (!logger.isLevelEnabled('error')) {
      next();
      return;
    }
    (req as Tracked)[STARTED] = process.hrtime.bigint();
    res.once('close', () => {
      const status = res.statusCode;
      const fields = requestFields(req);
      const outage = typeof res.locals.databaseError === 'string';
      const lineLevel = probes.has(fields.path) ? 'debug' : status >= 500 && !outage ? 'error' : res.writableFinished && !outage ? 'info' : 'warn';
      if (!logger.isLevelEnabled(lineLevel)) return;
      const responseTime = Number(process.hrtime.bigint() - (req as Tracked)[STARTED]) / 1e6;
      logger[lineLevel](
        {
          req: { ...fields, route: routePattern(req, apiPrefix) ?? 'unmatched', client: req.ip },
          res: { status },
          ...outcomeFields(res),
          responseTime: Math.round(responseTime * 1000) / 1000,
        },
        res.writableFinished ? 'request completed' : 'request aborted',
      );
    });
    next();
  };
}
