import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { bearer, register, uniqueEmail } from './helpers';
import { sessionOfToken, tokenCounts } from './token-storage';

const REFRESH = '/api/v1/auth/refresh';
const SECRET_1 = 'first-token-secret-first-token-secret-0001';
const SECRET_2 = 'second-token-secret-second-token-secret-002';
/** `<session>.<generation>.<secret>.<tag>` (src/auth/sessions/refresh-tokens.ts). */
const TOKEN_FORMAT = /^([A-Za-z0-9_-]{22})\.(\d+)\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

describe('refresh tokens stored on their session (issue 15)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let noInterval: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp(db.url, { TOKEN_SECRET: SECRET_1 });
    noInterval = await startTestApp(db.url, { TOKEN_SECRET: SECRET_1, REFRESH_REUSE_INTERVAL_SECONDS: '0' });
  });
  afterAll(async () => {
    await t.close();
    await noInterval.close();
    await db.drop();
  });

  const refresh = (app: TestApp, refresh_token: string) => request(app.app).post(REFRESH).send({ refresh_token });
  const session = async (id: string) =>
    (await t.dataSource.query(`SELECT revoked_reason, refresh_generation, refresh_token_hash FROM auth.sessions WHERE id = $1`, [id]))[0];

  describe('the token format', () => {
    it('a token names its session and generation; each rotation moves to the next generation of the same session', async () => {
      const first = (await register(t.app, uniqueEmail())).refresh_token;
      const [, sessionPart, generation] = TOKEN_FORMAT.exec(first)!;
      expect(generation).toBe('0');
      const second = (await refresh(t, first)).body.refresh_token as string;
      const third = (await refresh(t, second)).body.refresh_token as string;
      expect([second, third].map((tok) => TOKEN_FORMAT.exec(tok)!.slice(1, 3))).toEqual([
        [sessionPart, '1'],
        [sessionPart, '2'],
      ]);
      // The row holds the generation and the current token's hash: nothing else of any token.
      expect(await session(sessionOfToken(first))).toEqual({ revoked_reason: null, refresh_generation: 2, refresh_token_hash: sha256(third) });
    });

    it('a token altered in any part is refused without touching its session (no forged token counts as reuse)', async () => {
      const first = (await register(t.app, uniqueEmail())).refresh_token;
      const current = (await refresh(t, first)).body.refresh_token as string;
      const [, s, g, secret, tag] = TOKEN_FORMAT.exec(current)!;
      const flip = (part: string) => (part[0] === 'A' ? 'B' : 'A') + part.slice(1);
      const forgeries = [
        `${s}.${g}.${secret}.${flip(tag!)}`, // a tag nobody made
        `${s}.${g}.${flip(secret!)}.${tag}`,
        `${s}.0.${secret}.${tag}`, // an older generation without its tag: not reuse, only invalid
        `${s}.${Number(g) + 1}.${secret}.${tag}`,
        `${flip(s!)}.${g}.${secret}.${tag}`,
      ];
      for (const forged of forgeries) {
        const res = await refresh(noInterval, forged);
        expect({ forged, status: res.status, error: res.body.error }).toEqual({ forged, status: 400, error: 'invalid_grant' });
      }
      expect((await session(sessionOfToken(first))).revoked_reason).toBeNull();
      expect((await refresh(t, current)).status).toBe(200);
    });

    it('any genuine older generation is reuse and revokes the session', async () => {
      const first = (await register(t.app, uniqueEmail())).refresh_token;
      let token = first;
      for (let i = 0; i < 3; i++) token = (await refresh(t, token)).body.refresh_token;
      expect((await refresh(t, first)).body.error).toBe('invalid_grant');
      expect((await session(sessionOfToken(first))).revoked_reason).toBe('refresh_token_reused');
      expect((await refresh(t, token)).body.error).toBe('invalid_grant');
    });

    it('a rotation writes only columns no index covers, on a table that keeps room for the new row version (HOT updates)', async () => {
      const indexed: { attname: string }[] = await t.dataSource.query(
        `SELECT DISTINCT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
          WHERE i.indrelid = 'auth.sessions'::regclass`,
      );
      const written = ['refresh_generation', 'refresh_token_hash', 'refresh_rotated_at', 'last_used_at', 'expires_at'];
      expect(indexed.map((r) => r.attname).filter((c) => written.includes(c))).toEqual([]);
      const expressionOrPartial = await t.dataSource.query(
        `SELECT 1 FROM pg_index WHERE indrelid = 'auth.sessions'::regclass AND (indexprs IS NOT NULL OR indpred IS NOT NULL)`,
      );
      expect(expressionOrPartial).toEqual([]);
      const [{ reloptions }] = await t.dataSource.query(`SELECT reloptions FROM pg_class WHERE oid = 'auth.sessions'::regclass`);
      expect(reloptions).toContain('fillfactor=90');
    });
  });

  describe('tokens issued before the change (one refresh_tokens row each)', () => {
    /** A session and token exactly as the previous code wrote them at login. */
    async function legacySession(app: TestApp): Promise<{ sessionId: string; token: string; accessToken: string }> {
      const { access_token } = await register(app.app, uniqueEmail('legacy'));
      const token = randomBytes(32).toString('base64url');
      const [{ id: sessionId }] = await app.dataSource.query(
        `INSERT INTO auth.sessions (user_id, expires_at) SELECT user_id, now() + interval '30 days' FROM auth.sessions
          WHERE id = $1 RETURNING id`,
        [JSON.parse(Buffer.from(access_token.split('.')[1]!, 'base64url').toString()).sid],
      );
      await app.dataSource.query(`INSERT INTO auth.refresh_tokens (session_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '30 days')`, [
        sessionId,
        sha256(token),
      ]);
      return { sessionId, token, accessToken: access_token };
    }

    it('work once: the refresh marks the row used and moves the session to the new format, whose tokens then rotate', async () => {
      const { sessionId, token } = await legacySession(t);
      const res = await refresh(t, token);
      expect(res.status).toBe(200);
      expect(TOKEN_FORMAT.exec(res.body.refresh_token)?.slice(2, 3)).toEqual(['1']);
      expect(sessionOfToken(res.body.refresh_token)).toBe(sessionId);
      expect((await t.dataSource.query(`SELECT used_at IS NOT NULL AS used FROM auth.refresh_tokens WHERE token_hash = $1`, [sha256(token)]))[0].used).toBe(true);
      expect(await tokenCounts(t.dataSource, sessionId)).toEqual({ live: 1, total: 2, revoked_at: null });
      expect((await refresh(t, res.body.refresh_token)).status).toBe(200);
    });

    it('presented again within the interval, an old token gets the same new token; later, it is reuse', async () => {
      const { sessionId, token } = await legacySession(t);
      const a = await refresh(t, token);
      const b = await refresh(t, token);
      expect(b.status).toBe(200);
      expect(b.body.refresh_token).toBe(a.body.refresh_token);
      const replay = await refresh(noInterval, token);
      expect(replay.body.error).toBe('invalid_grant');
      expect((await session(sessionId)).revoked_reason).toBe('refresh_token_reused');
    });

    it('an old token already used before the change is reuse', async () => {
      const { sessionId, token } = await legacySession(t);
      await t.dataSource.query(`UPDATE auth.refresh_tokens SET used_at = now() - interval '1 hour' WHERE token_hash = $1`, [sha256(token)]);
      expect((await refresh(t, token)).body.error).toBe('invalid_grant');
      expect((await session(sessionId)).revoked_reason).toBe('refresh_token_reused');
    });

    it('logout by an old token ends its session', async () => {
      const { sessionId, token, accessToken } = await legacySession(t);
      expect((await request(t.app).post('/api/v1/auth/logout').send({ refresh_token: token })).status).toBe(204);
      expect((await session(sessionId)).revoked_reason).toBe('logout');
      expect((await request(t.app).get('/api/v1/auth/me').set(bearer(accessToken))).status).toBe(200); // another session
    });
  });

  describe('TOKEN_SECRET rotation (TOKEN_PREVIOUS_SECRETS)', () => {
    let rotated: TestApp;
    let withoutPrevious: TestApp;
    beforeAll(async () => {
      rotated = await startTestApp(db.url, { TOKEN_SECRET: SECRET_2, TOKEN_PREVIOUS_SECRETS: SECRET_1 });
      withoutPrevious = await startTestApp(db.url, { TOKEN_SECRET: SECRET_2 });
    });
    afterAll(async () => {
      await rotated.close();
      await withoutPrevious.close();
    });

    it('tokens made with the previous secret keep working, and their refresh replaces them with tokens of the new one', async () => {
      const old = (await register(t.app, uniqueEmail('secret'))).refresh_token;
      // An instance that does not accept the old secret refuses the token without ending the session.
      expect((await refresh(withoutPrevious, old)).body.error).toBe('invalid_grant');
      expect((await session(sessionOfToken(old))).revoked_reason).toBeNull();

      const res = await refresh(rotated, old);
      expect(res.status).toBe(200);
      // The new token is made with the new secret: an instance with only that secret takes it.
      expect((await refresh(withoutPrevious, res.body.refresh_token)).status).toBe(200);
    });

    it('during a deploy, a repeat within the interval on a new instance gets the child an old instance made', async () => {
      const first = (await register(t.app, uniqueEmail('deploy'))).refresh_token;
      const onOld = await refresh(t, first); // rotated with SECRET_1
      const onNew = await refresh(rotated, first); // the same parent again, on an instance whose current secret is SECRET_2
      expect(onNew.status).toBe(200);
      expect(onNew.body.refresh_token).toBe(onOld.body.refresh_token);
      expect((await session(sessionOfToken(first))).revoked_reason).toBeNull();
    });
  });
});
