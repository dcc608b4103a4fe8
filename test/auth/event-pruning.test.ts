import { randomUUID } from 'node:crypto';
import { pruneAuditEvents } from '../../src/auth/audit/event-pruning';
import { useTestApp } from '../support/app';

describe('pruning audit events past AUTH_EVENTS_RETENTION_DAYS', () => {
  const t = useTestApp();
  const q = (text: string, params: unknown[] = []) => t.dataSource.query(text, params);

  it('deletes events older than the retention in batches and keeps younger ones', async () => {
    // Events arrive in time order, as they do in production: 25 old ones, one just inside the retention, then today's.
    const userId = randomUUID();
    await q(
      `INSERT INTO auth.audit_events (type, user_id, occurred_at)
       SELECT 'login_failed', $1, now() - interval '100 days' + g * interval '1 minute' FROM generate_series(1, 25) g`,
      [userId],
    );
    await q(`INSERT INTO auth.audit_events (type, user_id, occurred_at) VALUES ('login_failed', $1, now() - interval '89 days')`, [userId]);
    await q(`INSERT INTO auth.audit_events (type, user_id) VALUES ('login_succeeded', $1)`, [userId]);

    const deleted = await pruneAuditEvents(t.dataSource, { retentionDays: 90, batchSize: 10 });

    expect(deleted).toBe(25);
    const left = await q(`SELECT type, occurred_at < now() - interval '88 days' AS old FROM auth.audit_events WHERE user_id = $1 ORDER BY id`, [userId]);
    expect(left).toEqual([
      { type: 'login_failed', old: true },
      { type: 'login_succeeded', old: false },
    ]);
    expect(await pruneAuditEvents(t.dataSource, { retentionDays: 90, batchSize: 10 })).toBe(0);
  });

  it('deletes everything when every event is past the retention (no young event to stop at)', async () => {
    await q(`DELETE FROM auth.audit_events`);
    await q(`INSERT INTO auth.audit_events (type, occurred_at) SELECT 'login_failed', now() - interval '10 days' FROM generate_series(1, 7)`);
    expect(await pruneAuditEvents(t.dataSource, { retentionDays: 5, batchSize: 3 })).toBe(7);
    expect(await q(`SELECT count(*)::int AS n FROM auth.audit_events`)).toEqual([{ n: 0 }]);
  });
});
