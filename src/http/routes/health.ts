import { timingSafeEqual } from 'node:crypto';
import { Router, type Request } from 'express';
import type { DataSource } from 'typeorm';
import { readSchemaState, type SchemaState } from '../../db/schema-state';
import { isDatabaseUnavailable } from '../../db/database-errors';
import type { Lifecycle } from '../drain';
import type { ServiceMetrics } from '../metrics';
import { answerOtherMethods } from '../middleware/method-not-allowed';
import { problemFor, sendProblem } from '../problem';

export interface HealthOptions {
  /** READY_TOKEN: a caller presenting it in `X-Ready-Token` gets the schema detail from anywhere. */
  readyToken?: string | undefined;
  /** While it drains (SIGTERM), the instance is not ready, whatever the database says. */
  lifecycle?: Lifecycle;
  /** Where the schema gauges are registered (auth_schema_pending_migrations, auth_schema_unknown_migrations). */
  metrics?: ServiceMetrics;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * Whether /ready may show the schema detail (migration names, heads): to a caller on this host
 * that came through no proxy (an orchestrator's probe, an operator's curl), or to one that
 * presents READY_TOKEN. Anyone else learns only ready or not.
 */
function mayShowDetail(req: Request, readyToken: string | undefined): boolean {
  const presented = req.get('x-ready-token');
  if (readyToken !== undefined && presented !== undefined) {
    const a = Buffer.from(presented);
    const b = Buffer.from(readyToken);
    if (a.length === b.length && timingSafeEqual(a, b)) return true;
  }
  // The socket's own peer, not req.ip: a proxy on the same host would otherwise make everyone "local".
  const peer = req.socket.remoteAddress ?? '';
  return LOOPBACK.test(peer) && req.get('x-forwarded-for') === undefined && req.get('forwarded') === undefined;
}

/** ok: at the build's head; ahead: a newer release's migrations are applied too (still ready); mismatch: migrations pending. */
function schemaWord(state: SchemaState): 'ok' | 'ahead' | 'mismatch' {
  if (!state.compatible) return 'mismatch';
  return state.unknown.length ? 'ahead' : 'ok';
}

/**
 * Liveness (`health`: the process answers) and readiness (`ready`). Readiness follows
 * expand/contract (issue 21): ready when the database has every migration this build needs,
 * including when it also has a newer release's (the deploy order: migrate, then roll the code),
 * so an additive migration takes no instance out of rotation; not ready while migrations are
 * pending or while the instance drains. Detail only for internal callers (see mayShowDetail).
 */
export function healthRoutes(dataSource: DataSource, { readyToken, lifecycle, metrics }: HealthOptions = {}): Router {
  const router = Router();

  if (metrics) {
    let reading: Promise<SchemaState> | undefined;
    const read = () => (reading ??= readSchemaState(dataSource).finally(() => setTimeout(() => (reading = undefined), 1_000).unref()));
    metrics.gauge('auth_schema_pending_migrations', 'Migrations this build ships that the database has not applied (the instance is not ready while > 0).', async () => (await read()).pending.length);
    metrics.gauge('auth_schema_unknown_migrations', "Migrations the database has that this build does not know: a newer release's, applied before it rolls out (ready).", async () => (await read()).unknown.length);
  }

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/ready', async (req, res) => {
    if (lifecycle?.draining) {
      sendProblem(res, problemFor('not_ready', 'The instance is shutting down.', { checks: { instance: 'draining' } }), { 'retry-after': '1' });
      return;
    }
    let state;
    try {
      state = await readSchemaState(dataSource);
    } catch (err) {
      if (!isDatabaseUnavailable(err)) req.log.error({ err }, 'readiness check failed');
      sendProblem(
        res,
        problemFor('not_ready', 'The database does not answer.', { checks: { database: 'unavailable' } }),
        { 'retry-after': '1' },
      );
      return;
    }
    const word = schemaWord(state);
    if (!mayShowDetail(req, readyToken)) {
      if (state.compatible) res.json({ status: 'ready', checks: { database: 'ok', schema: word } });
      else {
        sendProblem(res, problemFor('not_ready', 'The database schema is not at the version this build expects.', { checks: { database: 'ok', schema: word } }), {
          'retry-after': '5',
        });
      }
      return;
    }
    const schema = {
      state: word,
      expected_head: state.expectedHead,
      applied_head: state.appliedHead,
      pending: state.pending,
      unknown: state.unknown,
    };
    if (!state.compatible) {
      const detail = `The database schema is behind the code: ${state.pending.length} migration(s) pending (run \`npm run migrate -- up\`).`;
      sendProblem(res, problemFor('not_ready', detail, { checks: { database: 'ok', schema } }), { 'retry-after': '5' });
      return;
    }
    const detail = state.unknown.length
      ? `The database is ahead of this build (${state.unknown.join(', ')}): a newer release's migrations; this build runs on it.`
      : undefined;
    res.json({ status: 'ready', ...(detail ? { detail } : {}), checks: { database: 'ok', schema } });
  });

  answerOtherMethods(router, [
    ['/health', 'GET'],
    ['/ready', 'GET'],
  ]);
  return router;
}
