import { randomUUID } from 'node:crypto';
import type { Express, Request, RequestHandler } from 'express';
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

/**
 * Structured access log with a request id, echoed as `x-request-id`: one line per finished
 * request (`request completed`; `request aborted`, at warn, when the client left first; a 5xx
 * at error) with method,
 * path, status and time, never bodies or headers.
 *
 * It replaces pino-http, which made a child logger (and serialized the request into it) for
 * every request and listened on three events, whether or not anything was logged: about 5% of a
 * GET /me's service CPU in `npm run bench:profile`. Here `req.log` is a getter on the app's request
 * prototype that makes the child only when a handler logs, and the access line is one listener.
 */
export function requestLogging(app: Express, logger: Logger): RequestHandler {
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
      const lineLevel = status >= 500 ? 'error' : res.writableFinished ? 'info' : 'warn';
      if (!logger.isLevelEnabled(lineLevel)) return;
      const responseTime = Number(process.hrtime.bigint() - (req as Tracked)[STARTED]) / 1e6;
      logger[lineLevel](
        { req: requestFields(req), res: { status }, responseTime: Math.round(responseTime * 1000) / 1000 },
        res.writableFinished ? 'request completed' : 'request aborted',
      );
    });
    next();
  };
}
