import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { readBacklog, type SubscriptionBacklog } from '../auth/events/outbox';
import type { EventsObserver } from '../auth/events/sender';

/**
 * Security-event delivery metrics (issue 29), per subscription (webhook or stream id; subscriptions
 * are few and made by admins and service clients, so the label stays bounded):
 * - auth_event_deliveries_total{subscription, kind, outcome}: delivered, retried, dead;
 * - auth_event_delivery_delay_seconds{kind}: from the change's commit to the receiver's 2xx (the
 *   revocation delay receivers see);
 * - auth_event_backlog{subscription, kind}, auth_event_backlog_oldest_age_seconds, auth_event_dead_letters:
 *   read from the database at scrape time (every instance reports the same totals; alert on max).
 */
export function eventMetrics(registry: Registry, dataSource: DataSource): EventsObserver {
  const deliveries = new Counter({
    name: 'auth_event_deliveries_total',
    help: 'Security-event delivery tries by this instance, by subscription and outcome: delivered, retried, dead (given up).',
    labelNames: ['subscription', 'kind', 'outcome'] as const,
    registers: [registry],
  });
  const delay = new Histogram({
    name: 'auth_event_delivery_delay_seconds',
    help: 'Time from a security event (its commit) to the receiver accepting it, by kind (webhook, ssf).',
    labelNames: ['kind'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [registry],
  });
  let backlog: Promise<SubscriptionBacklog[]> | undefined;
  const read = () => {
    backlog ??= readBacklog(dataSource).finally(() => setTimeout(() => (backlog = undefined), 1_000).unref());
    return backlog;
  };
  const perSubscription = (name: string, help: string, pick: (b: SubscriptionBacklog) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['subscription', 'kind'] as const,
      registers: [registry],
      async collect() {
        try {
          const rows = await read();
          this.reset();
          for (const row of rows) this.set({ subscription: row.subscription_id, kind: row.kind }, pick(row));
        } catch {
          // Keeps the last values: the scrape still answers while the database is down.
        }
      },
    });
  perSubscription('auth_event_backlog', 'Security-event deliveries waiting per subscription (retries included; polled streams: not yet acknowledged).', (b) => b.pending);
  perSubscription('auth_event_backlog_oldest_age_seconds', 'Age of the oldest waiting delivery per subscription; 0 when none waits.', (b) => b.oldest_age_seconds);
  perSubscription('auth_event_dead_letters', 'Deliveries given up after EVENTS_MAX_ATTEMPTS tries, per subscription (kept until retention).', (b) => b.dead);
  return {
    delivered(subscription, kind, delaySeconds) {
      deliveries.inc({ subscription, kind, outcome: 'delivered' });
      delay.observe({ kind }, delaySeconds);
    },
    failed(subscription, kind, dead) {
      deliveries.inc({ subscription, kind, outcome: dead ? 'dead' : 'retried' });
    },
  };
}
