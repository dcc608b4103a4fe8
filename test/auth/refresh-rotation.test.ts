import jwt from 'jsonwebtoken';
import request from 'supertest';
import { hashRefreshToken } from '../../src/auth/sessions/refresh-tokens';
import { createLogger } from '../../src/logging/logger';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { bearer, register, uniqueEmail } from './helpers';
import { ageLastRotation, expireToken, sessionOfToken, tokenCounts } from './token-storage';

const REFRESH = '/api/v1/auth/refresh';

describe('refresh token rotation (RFC 9700 §4.14.2)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let noInterval: TestApp;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp(db.url);
    const logger = createLogger('warn', { write: (line: string) => logLines.push(JSON.parse(line)) });
    noInterval = await startTestApp(db.url, { REFRESH_REUSE_INTERVAL_SECONDS: '0' }, { logger });
  });
  afterAll(async () => {
    await t.close();
    await noInterval.close();
    await db.drop();
  });

  const sessionOf = async (token: string) => sessionOfToken(token);
  const sessionRow = async (id: string) =>
    (await t.dataSource.query(`SELECT revoked_at, revoked_reason FROM auth.sessions WHERE id = $1`, [id]))[0];
  const liveTokens = async (sessionId: string) => (await tokenCounts(t.dataSource, sessionId)).live;

  it('stores refresh tokens only as SHA-256 hashes', async () => {
    const { refresh_token } = await register(t.app, uniqueEmail());
    const rows = await t.dataSource.query(`SELECT refresh_token_hash FROM auth.sessions WHERE refresh_token_hash = $1`, [hashRefreshToken(refresh_token)]);
    expect(rows).toHaveLength(1);
    const plain = await t.dataSource.query(`SELECT 1 FROM auth.sessions WHERE encode(refresh_token_hash, 'escape') LIKE '%' || $1 || '%'`, [refresh_token]);
    expect(plain).toHaveLength(0);
  });

  it('rotates on every use: each refresh returns a new token and spends the old one', async () => {
    const { refresh_token: first } = await register(t.app, uniqueEmail());
    const second = await request(t.app).post(REFRESH).send({ refresh_token: first });
    const third = await request(t.app).post(REFRESH).send({ refresh_token: second.body.refresh_token });
    expect(second.status).toBe(200);
    expect(third.status).toBe(200);
    expect(new Set([first, second.body.refresh_token, third.body.refresh_token]).size).toBe(3);
    expect(await liveTokens(await sessionOf(first))).toBe(1);
  });

  it('reuse of a rotated refresh token outside the interval revokes the whole session', async () => {
    const { refresh_token: first } = await register(noInterval.app, uniqueEmail());
    const rotated = await request(noInterval.app).post(REFRESH).send({ refresh_token: first });
    expect(rotated.status).toBe(200);

    const replay = await request(noInterval.app).post(REFRESH).send({ refresh_token: first });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    const sessionId = await sessionOf(first);
    expect((await sessionRow(sessionId)).revoked_reason).toBe('refresh_token_reused');
    // Operators see it: a replayed refresh token is a leak until proven otherwise. The token itself is never logged.
    expect(logLines).toContainEqual(expect.objectContaining({ event: 'refresh_token_reuse', session_id: sessionId }));
    expect(JSON.stringify(logLines)).not.toContain(first);

    // The legitimate holder's current token dies with the session, and so does its access token.
    const current = await request(noInterval.app).post(REFRESH).send({ refresh_token: rotated.body.refresh_token });
    expect(current.body.error).toBe('invalid_grant');
    const me = await request(noInterval.app).get('/api/v1/auth/me').set(bearer(rotated.body.access_token));
    expect(me.status).toBe(401);
  });

  it('the parent presented again within the interval gets the same current child, not a revocation', async () => {
    const { refresh_token: first } = await register(t.app, uniqueEmail());
    const a = await request(t.app).post(REFRESH).send({ refresh_token: first });
    const b = await request(t.app).post(REFRESH).send({ refresh_token: first });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.refresh_token).toBe(a.body.refresh_token);
    expect(b.body.access_token).not.toBe(a.body.access_token);
    const sessionId = await sessionOf(first);
    expect((await sessionRow(sessionId)).revoked_at).toBeNull();
    expect(await liveTokens(sessionId)).toBe(1);
  });

  it('a grandparent within the interval is still reuse once its child has been rotated', async () => {
    const { refresh_token: first } = await register(t.app, uniqueEmail());
    const second = await request(t.app).post(REFRESH).send({ refresh_token: first });
    await request(t.app).post(REFRESH).send({ refresh_token: second.body.refresh_token });
    const replay = await request(t.app).post(REFRESH).send({ refresh_token: first });
    expect(replay.body.error).toBe('invalid_grant');
    expect((await sessionRow(await sessionOf(first))).revoked_reason).toBe('refresh_token_reused');
  });

  it('the interval is measured from the rotation: past it, the parent is reuse', async () => {
    const { refresh_token: first } = await register(t.app, uniqueEmail());
    await request(t.app).post(REFRESH).send({ refresh_token: first });
    // Move the rotation 11 s into the past instead of sleeping through the 10 s interval.
    await ageLastRotation(t.dataSource, first, 11);
    const replay = await request(t.app).post(REFRESH).send({ refresh_token: first });
    expect(replay.body.error).toBe('invalid_grant');
  });

  it('logout then refresh: the refresh token of a logged-out session is refused', async () => {
    const { refresh_token, access_token } = await register(t.app, uniqueEmail());
    expect((await request(t.app).post('/api/v1/auth/logout').set(bearer(access_token))).status).toBe(204);
    const res = await request(t.app).post(REFRESH).send({ refresh_token });
    expect(res.body.error).toBe('invalid_grant');
  });

  it('logout by refresh token, and a global logout ends every session of the user', async () => {
    const email = uniqueEmail();
    const one = await register(t.app, email);
    const two = await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' });
    const three = await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' });

    expect((await request(t.app).post('/api/v1/auth/logout').send({ refresh_token: one.refresh_token })).status).toBe(204);
    expect((await request(t.app).post(REFRESH).send({ refresh_token: one.refresh_token })).body.error).toBe('invalid_grant');
    expect((await request(t.app).post(REFRESH).send({ refresh_token: two.body.refresh_token })).status).toBe(200);

    const global = await request(t.app).post('/api/v1/auth/logout').set(bearer(three.body.access_token)).send({ scope: 'global' });
    expect(global.status).toBe(204);
    const open = await t.dataSource.query(
      `SELECT count(*) FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id WHERE u.email = $1 AND s.revoked_at IS NULL`,
      [email],
    );
    expect(Number(open[0].count)).toBe(0);
  });

  it('a global logout by refresh token needs a live session: a token of an ended one cannot end the others', async () => {
    const email = uniqueEmail();
    const ended = await register(t.app, email);
    await request(t.app).post('/api/v1/auth/logout').send({ refresh_token: ended.refresh_token });
    const live = await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' });

    const attempt = await request(t.app).post('/api/v1/auth/logout').send({ refresh_token: ended.refresh_token, scope: 'global' });
    expect(attempt.body.error).toBe('invalid_grant');
    expect((await request(t.app).post(REFRESH).send({ refresh_token: live.body.refresh_token })).status).toBe(200);
  });

  it('L1: a global logout by refresh token needs the current token: a rotated one of a live session ends nothing', async () => {
    const email = uniqueEmail();
    const first = await register(t.app, email);
    const other = await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' });
    const rotated = await request(t.app).post(REFRESH).send({ refresh_token: first.refresh_token });
    expect(rotated.status).toBe(200);

    const attempt = await request(t.app).post('/api/v1/auth/logout').send({ refresh_token: first.refresh_token, scope: 'global' });
    expect(attempt.status).toBe(400);
    expect(attempt.body.error).toBe('invalid_grant');
    const [{ live }] = await t.dataSource.query(
      `SELECT count(*)::int AS live FROM auth.sessions WHERE user_id = $1 AND revoked_at IS NULL`,
      [first.user.id],
    );
    expect(live).toBe(2);

    // The current token of the session does end them all.
    const current = await request(t.app).post('/api/v1/auth/logout').send({ refresh_token: rotated.body.refresh_token, scope: 'global' });
    expect(current.status).toBe(204);
    expect((await request(t.app).post(REFRESH).send({ refresh_token: other.body.refresh_token })).body.error).toBe('invalid_grant');
  });

  it('L6: refreshes never extend a session past SESSION_MAX_LIFETIME_SECONDS after its login', async () => {
    const boxed = await startTestApp(db.url, { SESSION_MAX_LIFETIME_SECONDS: '3600', REFRESH_TOKEN_TTL_SECONDS: '86400' });
    try {
      const { refresh_token } = await register(boxed.app, uniqueEmail());
      const sessionId = await sessionOf(refresh_token);
      const lifetime = async () =>
        (
          await t.dataSource.query(`SELECT round(extract(epoch FROM expires_at - created_at))::int AS seconds FROM auth.sessions WHERE id = $1`, [
            sessionId,
          ])
        )[0].seconds as number;
      // Capped at the start: one hour, not the refresh token's day.
      expect(await lifetime()).toBe(3600);
      const next = await request(boxed.app).post(REFRESH).send({ refresh_token });
      expect(next.status).toBe(200);
      expect(await lifetime()).toBe(3600);

      // The session began 59 minutes ago and is in use: a refresh does not slide it past the hour...
      await t.dataSource.query(`UPDATE auth.sessions SET created_at = created_at - interval '59 minutes' WHERE id = $1`, [sessionId]);
      const late = await request(boxed.app).post(REFRESH).send({ refresh_token: next.body.refresh_token });
      expect(late.status).toBe(200);
      const [{ ends_at_cap }] = await t.dataSource.query(
        `SELECT expires_at = created_at + interval '1 hour' AS ends_at_cap FROM auth.sessions WHERE id = $1`,
        [sessionId],
      );
      expect(ends_at_cap).toBe(true);
      // ...and once the hour is over, the session is over, whatever its expires_at says.
      await t.dataSource.query(
        `UPDATE auth.sessions SET created_at = created_at - interval '2 minutes', expires_at = now() + interval '1 day' WHERE id = $1`,
        [sessionId],
      );
      const over = await request(boxed.app).post(REFRESH).send({ refresh_token: late.body.refresh_token });
      expect(over.body.error).toBe('invalid_grant');
    } finally {
      await boxed.close();
    }
  });

  it('an expired access token still ends its own session (ending needs no freshness), but not all sessions', async () => {
    const { access_token, refresh_token } = await register(t.app, uniqueEmail());
    const claims = jwt.decode(access_token) as Record<string, unknown>;
    const now = Math.floor(Date.now() / 1000);
    const expired = jwt.sign({ ...claims, iat: now - 2000, exp: now - 1000 }, t.authKeys.signingKeys.current.privateKey, {
      algorithm: 'ES256',
      header: { alg: 'ES256', typ: 'at+jwt', kid: t.authKeys.signingKeys.current.kid },
    });
    const global = await request(t.app).post('/api/v1/auth/logout').set(bearer(expired)).send({ scope: 'global' });
    expect(global.body.error).toBe('invalid_token');
    expect((await request(t.app).post('/api/v1/auth/logout').set(bearer(expired))).status).toBe(204);
    expect((await request(t.app).post(REFRESH).send({ refresh_token })).body.error).toBe('invalid_grant');
  });

  it('logging out twice is not an error', async () => {
    const { access_token } = await register(t.app, uniqueEmail());
    expect((await request(t.app).post('/api/v1/auth/logout').set(bearer(access_token))).status).toBe(204);
    expect((await request(t.app).post('/api/v1/auth/logout').set(bearer(access_token))).status).toBe(204);
  });

  it('an expired refresh token is refused', async () => {
    const { refresh_token } = await register(t.app, uniqueEmail());
    await expireToken(t.dataSource, refresh_token);
    expect((await request(t.app).post(REFRESH).send({ refresh_token })).body.error).toBe('invalid_grant');
  });

  it('unknown and malformed refresh tokens answer invalid_grant', async () => {
    for (const refresh_token of ['x', 'A'.repeat(43), 'not a token at all; DROP TABLE users']) {
      const res = await request(t.app).post(REFRESH).send({ refresh_token });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    }
    // Control characters are refused before any field is looked at (M4).
    const nul = await request(t.app).post(REFRESH).send({ refresh_token: '\u0000'.repeat(43) });
    expect(nul.status).toBe(400);
    expect(nul.body.error).toBe('invalid_request');
  });
});
