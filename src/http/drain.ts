import type { Server } from 'node:http';
import type { RequestHandler } from 'express';

/**
 * What an instance does between SIGTERM and its exit (issue 21): a load balancer must see it leave
 * before it stops answering, and no client may see a reset connection.
 *
 * 1. `/ready` answers 503 at once (routes/health.ts reads `draining`), and every response from
 *    now on carries `Connection: close`: a keep-alive client finishes its request and opens its
 *    next connection elsewhere, instead of having an idle socket closed under it.
 * 2. For DRAIN_DELAY_MS the instance keeps serving, so the balancer's health checks notice.
 * 3. It stops accepting, closes idle sockets (again every 100 ms: a socket whose response was on
 *    the wire before step 1 goes idle later), and waits for in-flight requests to finish, at most
 *    SHUTDOWN_TIMEOUT_MS; then sockets still open are destroyed and the drain counts as unclean.
 */
export interface Lifecycle {
  readonly draining: boolean;
  /** Requests received and not yet answered (or abandoned by their client). */
  readonly inFlight: number;
  startDraining(): void;
  /** Mount first: counts requests and adds `Connection: close` while draining. */
  readonly middleware: RequestHandler;
}

export function createLifecycle(): Lifecycle {
  let draining = false;
  let inFlight = 0;
  return {
    get draining() {
      return draining;
    },
    get inFlight() {
      return inFlight;
    },
    startDraining() {
      draining = true;
    },
    middleware(_req, res, next) {
      inFlight++;
      res.once('close', () => inFlight--);
      // Node answers `Connection: close` itself once this header is set, and ends the socket after the response.
      if (draining) res.setHeader('connection', 'close');
      next();
    },
  };
}

export interface DrainOptions {
  /** How long the instance keeps serving, unready, before it stops accepting. */
  delayMs: number;
  /** How long in-flight requests may take after that. */
  timeoutMs: number;
}

export interface DrainResult {
  /** True when every request finished and every socket closed within the timeout. */
  clean: boolean;
  /** From the start of the drain to the last socket closed (delay included). */
  ms: number;
  /** Requests still unanswered when the timeout forced the sockets closed (0 when clean). */
  abandoned: number;
}

/** Runs steps 1-3 above; resolves once the server has closed (never rejects). */
export async function drainServer(server: Server, lifecycle: Lifecycle, { delayMs, timeoutMs }: DrainOptions): Promise<DrainResult> {
  const started = Date.now();
  lifecycle.startDraining();
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweeper = setInterval(() => server.closeIdleConnections(), 100);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    if ((await Promise.race([closed, timedOut])) !== 'timeout') return { clean: true, ms: Date.now() - started, abandoned: 0 };
    const abandoned = lifecycle.inFlight;
    server.closeAllConnections();
    await closed;
    return { clean: false, ms: Date.now() - started, abandoned };
  } finally {
    clearInterval(sweeper);
    clearTimeout(timer);
  }
}
