import { Router } from 'express';
import type { DataSource } from 'typeorm';
import { readSchemaState } from '../../db/schema-state';
import { isDatabaseUnavailable } from '../../db/database-errors';
import { problemFor, sendProblem } from '../problem';

/** Liveness (`health`: the process answers) and readiness (`ready`: the database answers at the expected schema head). */
export function healthRoutes(dataSource: DataSource): Router {
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
