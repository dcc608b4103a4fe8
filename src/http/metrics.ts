import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { AuthObserver } from '../auth/observer';
import { readOutboxBacklog, type OutboxBacklog } from '../auth/mail/outbox-backlog';
import type { EventsObserver } from '../auth/events/sender';
import { eventMetrics } from './event-metrics';
import { routePattern } from './middleware/request-logging';

/**
 * The service's Prometheus metrics (GET /metrics, routes/metrics.ts). One Registry per app, so
 * tests that build several apps in one process never share counters. Names follow Prometheus
 * conventions (`_total` counters, `_seconds` durations); labels are bounded: the route is the
 * matched pattern (`/api/v1/auth/users/:id`), never the raw path, and anything unmatched is one label.
 */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** Counts the auth rules' outcomes (login reasons, reuse, throttle hits). */
  readonly observer: AuthObserver;
  /** Counts security-event deliveries (issue 29): give it to the instance's event sender. */
  readonly eventsObserver: EventsObserver;
  /** Per-route request count and latency; mount before the routes. */
  readonly requests: RequestHandler;
  /**
   * Adds gauges read at scrape time, e.g. the mail outbox's depth (issue 10). `collect` is called
   * on every scrape; a failure leaves the last value and is not thrown at the scraper.
   */
  gauge(name: string, help: string, collect: () => Promise<number> | number): void;
}

interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export interface MetricsOptions {
  /** The prefix requests are mounted under, to label a route whose router has already been left (errors). */
  apiPrefix: string;
}

export function createMetrics(dataSource: DataSource, { apiPrefix }: MetricsOptions): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'auth_' });

  const labels = ['method', 'route', 'status'] as const;
  const requestsTotal = new Counter({ name: 'auth_http_requests_total', help: 'HTTP requests by route pattern and status.', labelNames: labels, registers: [registry] });
  const duration = new Histogram({
    name: 'auth_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern and status.',
    labelNames: labels,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const logins = new Counter({
    name: 'auth_login_attempts_total',
    help: 'Password logins by outcome: succeeded, wrong_password, unknown_email, account_disabled, throttled.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const reuse = new Counter({ name: 'auth_refresh_token_reuse_total', help: 'Refresh tokens presented again after rotation (each revoked its session).', registers: [registry] });
  const throttled = new Counter({ name: 'auth_throttled_total', help: 'Requests refused by a throttle (429), by limiter: login, registration.', labelNames: ['limiter'] as const, registers: [registry] });
  const surge = new Counter({
    name: 'auth_registration_surge_total',
    help: 'Registration attempts while the service was over REGISTER_MAX_GLOBAL in the window (one per address is still let in).',
    registers: [registry],
  });
  // Zero series exist from the start, so rate() and alerts see 0 rather than nothing.
  for (const outcome of ['succeeded', 'wrong_password', 'unknown_email', 'account_disabled', 'throttled']) logins.inc({ outcome }, 0);
  for (const limiter of ['login', 'registration']) throttled.inc({ limiter }, 0);

  const pool = () => (dataSource.driver as unknown as { master?: PgPool }).master;
  new Gauge({
    name: 'auth_db_pool_connections',
    help: 'Runtime database pool: connections in use and idle, and requests waiting for one.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const p = pool();
      if (!p) return;
      this.set({ state: 'in_use' }, p.totalCount - p.idleCount);
      this.set({ state: 'idle' }, p.idleCount);
      this.set({ state: 'waiting' }, p.waitingCount);
    },
  });

  // The mail outbox (issue 10): both gauges from one query per scrape.
  let backlog: Promise<OutboxBacklog> | undefined;
  const readBacklog = () => {
    backlog ??= readOutboxBacklog(dataSource).finally(() => setTimeout(() => (backlog = undefined), 1_000).unref());
    return backlog;
  };
  /** A gauge read at each scrape; a failed read (the database may be down) keeps its last value, and the scrape still answers. */
  const collectedGauge = (name: string, help: string, collect: () => Promise<number> | number) => {
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        try {
          this.set(await collect());
        } catch {
          // Keeps the last value.
        }
      },
    });
  };
  collectedGauge('auth_mail_outbox_depth', 'Mails waiting in the outbox (pending, retries included).', async () => (await readBacklog()).depth);
  collectedGauge('auth_mail_outbox_oldest_age_seconds', 'Age of the oldest mail waiting in the outbox; 0 when none waits.', async () => (await readBacklog()).oldestAgeSeconds);

  const requests: RequestHandler = (req, res, next) => {
    const stop = duration.startTimer();
    res.once('finish', () => {
      const l = { method: req.method, route: routePattern(req, apiPrefix) ?? 'unmatched', status: String(res.statusCode) };
      requestsTotal.inc(l);
      stop(l);
    });
    next();
  };

  const eventsObserver = eventMetrics(registry, dataSource);

  return {
    registry,
    eventsObserver,
    observer: {
      loginOutcome: (outcome) => logins.inc({ outcome }),
      refreshTokenReused: () => reuse.inc(),
      throttled: (limiter) => throttled.inc({ limiter }),
      registrationSurge: () => surge.inc(),
    },
    requests,
    gauge: collectedGauge,
  };
}
