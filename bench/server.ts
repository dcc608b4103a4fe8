/**
 * The auth service as `npm start` runs it, plus two routes for the benchmarks, in the same
 * process and over the same pool: GET /bench/select1 (the baseline: one `SELECT 1` through the
 * service's DataSource, behind the same Express and the same pool) and GET /bench/event-loop
 * (the event-loop delay since the last call, to show whether anything blocks it), GET
 * /bench/tx-shape (a transaction with a refresh's round trips and none of its logic), POST
 * /bench/refresh-floor (a refresh's irreducible work and nothing else) and GET /bench/process
 * (memory and active handles, for the soak test).
 *
 * The real app is taken from the server startService() built, so this file does not depend on
 * createApp's dependencies; the baseline routes sit in an outer Express app that mounts it.
 */
import 'reflect-metadata';
import express from 'express';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql } from '../src/auth/sql';
import { loadAuthKeys } from '../src/auth/tokens/auth-keys';
import { signAccessToken } from '../src/auth/tokens/access-tokens';
import type { UserRole } from '../src/db/entities/index';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/logging/logger';
import { startService } from '../src/server';

async function main(): Promise<void> {
  const config = loadConfig();
  const service = await startService(config, createLogger(config.log.level));
  const [app] = service.server.listeners('request') as RequestListener[];
  if (!app) throw new Error('startService() returned a server without a request listener');

  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();

  const outer = express();
  outer.disable('x-powered-by');
  outer.get('/bench/select1', async (_req, res, next) => {
    try {
      await service.dataSource.query('SELECT 1');
      res.json({ ok: true });
    } catch (err) {
      next(err);
    }
  });
  // The shape of a refresh without its logic: `statements` trivial statements (the first takes a
  // transaction id, so the commit flushes the WAL as a refresh's writes do), in BEGIN ... COMMIT
  // when there are several, or as one autocommitted statement. Comparing it with the real
  // endpoint shows what the round trips alone cost.
  outer.get('/bench/tx-shape', async (req, res, next) => {
    try {
      const statements = Math.min(20, Math.max(1, Number(req.query.statements ?? 5)));
      if (statements === 1) {
        await service.dataSource.query('SELECT txid_current()');
      } else {
        await service.dataSource.transaction(async (manager) => {
          await manager.query('SELECT txid_current()');
          for (let i = 1; i < statements; i++) await manager.query('SELECT 1');
        });
      }
      res.json({ ok: true });
    } catch (err) {
      next(err);
    }
  });
  // The database work of a refresh's common path (an unused token of a live session) as ONE
  // statement instead of seven round trips: mark the token used, insert the child, extend the
  // session. A diagnostic of what fewer round trips would give: no JWT is signed and the reuse
  // paths are left out, so it is not a replacement for the real endpoint.
  const benchSecret = randomBytes(32);
  outer.post('/bench/refresh-one-statement', express.json(), async (req, res, next) => {
    try {
      const presented = String((req.body as { refresh_token?: unknown }).refresh_token ?? '');
      const child = createHmac('sha256', benchSecret).update(presented).digest('base64url');
      const sha = (t: string) => createHash('sha256').update(t, 'utf8').digest();
      const rows: { id: string }[] = await service.dataSource.query(
        `WITH t AS (
           UPDATE auth.refresh_tokens SET used_at = statement_timestamp()
            WHERE token_hash = $1 AND used_at IS NULL AND expires_at > statement_timestamp()
           RETURNING id, session_id
         ), s AS (
           UPDATE auth.sessions SET last_used_at = statement_timestamp(),
                  expires_at = statement_timestamp() + make_interval(secs => $3)
             FROM t, auth.users u
            WHERE sessions.id = t.session_id AND sessions.revoked_at IS NULL
              AND sessions.expires_at > statement_timestamp() AND u.id = sessions.user_id AND u.is_active
           RETURNING sessions.id, sessions.user_id, u.role, t.id AS token_id
         ), c AS (
           INSERT INTO auth.refresh_tokens (session_id, token_hash, parent_id, expires_at)
           SELECT s.id, $2, s.token_id, statement_timestamp() + make_interval(secs => $3) FROM s
           RETURNING session_id
         )
         SELECT c.session_id AS id FROM c`,
        [sha(presented), sha(child), 2_592_000],
      );
      if (rows.length !== 1) {
        res.status(400).json({ error: 'invalid_grant' });
        return;
      }
      res.json({ refresh_token: child });
    } catch (err) {
      next(err);
    }
  });
  // The floor of a refresh (issue 31 item 7): what no implementation of the grant can skip, and
  // nothing else. The same single-row UPDATE by primary key (auth.rotate_refresh_token, the
  // statement POST /refresh sends) through the same pool, and one ES256 signature of an access
  // token with the service's key; no token parsing, hashing or checks, no router, no cookies. The
  // session's generation and stored hash are kept here (read once per session): the body names a
  // session of the bench's own, which nothing else rotates.
  const keys = await loadAuthKeys(config);
  const floorState = new Map<string, { generation: number; hash: Buffer }>();
  outer.post('/bench/refresh-floor', express.json(), async (req, res, next) => {
    try {
      const sessionId = String((req.body as { session_id?: unknown }).session_id ?? '');
      let state = floorState.get(sessionId);
      if (!state) {
        const { rows } = await sql<{ refresh_generation: number; refresh_token_hash: Buffer }>(
          service.dataSource,
          `SELECT refresh_generation, refresh_token_hash FROM auth.sessions WHERE id = $1`,
          [sessionId],
        );
        if (!rows[0]) return void res.status(400).json({ error: 'invalid_grant' });
        state = { generation: rows[0].refresh_generation, hash: rows[0].refresh_token_hash };
      }
      const child = randomBytes(32);
      const { rows } = await sql<{ user_id: string | null; role: UserRole; email_verified: boolean }>(
        service.dataSource,
        `SELECT user_id, role, email_verified FROM auth.rotate_refresh_token($1, $2, $3, $4, $5, $6)`,
        [sessionId, state.generation, state.hash, child, config.auth.refreshTokenTtlSeconds, config.auth.sessionMaxLifetimeSeconds],
      );
      const row = rows[0];
      if (!row?.user_id) return void res.status(400).json({ error: 'invalid_grant' });
      floorState.set(sessionId, { generation: state.generation + 1, hash: child });
      const accessToken = signAccessToken(
        keys.signingKeys,
        { issuer: config.auth.issuer, audience: config.auth.audience, ttlSeconds: config.auth.accessTokenTtlSeconds },
        { userId: row.user_id, sessionId, role: row.role, emailVerified: row.email_verified },
      );
      res.json({ access_token: accessToken, token_type: 'Bearer', expires_in: config.auth.accessTokenTtlSeconds, refresh_token: child.toString('base64url') });
    } catch (err) {
      next(err);
    }
  });
  outer.get('/bench/event-loop', (_req, res) => {
    const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;
    res.json({ p50_ms: ms(delay.percentile(50)), p99_ms: ms(delay.percentile(99)), max_ms: ms(delay.max), mean_ms: ms(delay.mean) });
    delay.reset();
  });
  // Memory and handles, after a full GC when the process runs with --expose-gc (the soak test does).
  outer.get('/bench/process', (_req, res) => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const m = process.memoryUsage();
    const resources = process.getActiveResourcesInfo();
    res.json({
      gc: Boolean(gc),
      rss_mb: m.rss / 2 ** 20,
      heap_used_mb: m.heapUsed / 2 ** 20,
      external_mb: m.external / 2 ** 20,
      handles: resources.length,
      handle_types: resources.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r]: (acc[r] ?? 0) + 1 }), {}),
    });
  });
  outer.use(app as unknown as express.RequestHandler);

  service.server.removeAllListeners('request');
  service.server.on('request', outer);

  const stop = () => {
    void service.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench server could not start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
