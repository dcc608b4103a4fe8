import { timingSafeEqual } from 'node:crypto';
import { Router, type Request } from 'express';
import type { DataSource } from 'typeorm';
import { readSchemaState } from '../../db/schema-state';
import { isDatabaseUnavailable } from '../../db/database-errors';
import { problemFor, sendProblem } from '../problem';

export interface HealthOptions {
  /** READY_TOKEN: a caller presenting it in `X-Ready-Token` gets the schema detail from anywhere. */
  readyToken?: string | undefined;
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

/**
 * Liveness (`health`: the process answers) and readiness (`ready`: the database answers at the
 * expected schema head; its detail only for internal callers, see mayShowDetail).
 */
export function healthRoutes(dataSource: DataSource, { readyToken }: HealthOptions = {}): Router {
  const router = Router();

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/ready', async (req, res) => {
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
    if (!mayShowDetail(req, readyToken)) {
      if (state.atHead) res.json({ status: 'ready', checks: { database: 'ok', schema: 'ok' } });
      else {
        sendProblem(res, problemFor('not_ready', 'The database schema is not at the version this build expects.', { checks: { database: 'ok', schema: 'mismatch' } }), {
          'retry-after': '5',
        });
      }
      return;
    }
    const schema = {
      expected_head: state.expectedHead,
      applied_head: state.appliedHead,
      pending: state.pending,
      unknown: state.unknown,
    };
    if (!state.atHead) {
      const detail = state.pending.length
        ? `The database schema is behind the code: ${state.pending.length} migration(s) pending (run \`npm run migrate -- up\`).`
        : `The database has migrations this build does not know (${state.unknown.join(', ')}): deploy the newer code.`;
      sendProblem(res, problemFor('not_ready', detail, { checks: { database: 'ok', schema } }), { 'retry-after': '5' });
      return;
    }
    res.json({ status: 'ready', checks: { database: 'ok', schema } });
  });

  return router;
}
