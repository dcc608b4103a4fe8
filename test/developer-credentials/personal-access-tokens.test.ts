/**
 * Personal access tokens: created with a recent sign-in, scopes within the role, a bounded
 * expiry, shown once and stored hashed; `chp_` + checksum checked before any database lookup;
 * exchanged at /token (RFC 8693) for an access token that @cathouse/auth-client verifies offline;
 * listed with last use, revoked one by one or all, effective at the next exchange; audited.
 */
import express from 'express';
import request from 'supertest';
import { createVerifier, requireAuth, requireRole, requireUserScope } from '@cathouse/auth-client';
import { generatePat, isWellFormedPat } from '../../src/auth/developer-credentials/pat-format';
import { bearer, register, registerDeveloper, uniqueEmail } from '../auth/helpers';
import { startTestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { listen, PASSWORD, type Listening } from './support';

const TOKEN = '/api/v1/auth/token';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const PAT_TYPE = 'urn:cathouse:params:oauth:token-type:personal_access_token';

let db: TestDatabase;
let stack: Listening;

beforeAll(async () => {
  db = await createTestDatabase();
  stack = await listen(db.url, { PAT_MAX_TTL_DAYS: '90', PAT_MAX_PER_USER: '3' });
});
afterAll(async () => {
  await stack?.close();
  await db?.drop();
});

const q = (text: string, params: unknown[] = []) => stack.t.dataSource.query(text, params);
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

async function user(role: 'developer' | 'player' = 'developer') {
  const body = role === 'developer' ? await registerDeveloper(stack.t, uniqueEmail(role), PASSWORD) : await register(stack.t.app, uniqueEmail(role), PASSWORD);
  return { id: body.user.id, token: body.access_token };
}

const create = (sessionToken: string, body: Record<string, unknown>) =>
  request(stack.t.app).post('/api/v1/auth/me/tokens').set(bearer(sessionToken)).send(body);

const exchange = (pat: string, extra: Record<string, string> = {}) =>
  request(stack.t.app).post(TOKEN).type('form').send({ grant_type: EXCHANGE, subject_token: pat, subject_token_type: PAT_TYPE, ...extra });

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

it('creates a token shown once, chp_ with a checksum, of which the database keeps only a hash', async () => {
  const dev = await user();
  const res = await create(dev.token, { name: 'CI publish', scopes: ['cats:publish', 'cats:read'], expires_at: inDays(30) });
  expect(res.status).toBe(201);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body.token).toMatch(/^chp_[0-9A-Za-z]{36}$/);
  expect(isWellFormedPat(res.body.token)).toBe(true);
  expect(res.body).toMatchObject({ name: 'CI publish', scopes: ['cats:read', 'cats:publish'], status: 'active', token_prefix: res.body.token.slice(0, 8), last_used_at: null });

  const rows = await q(`SELECT * FROM auth.personal_access_tokens WHERE id = $1`, [res.body.id]);
  const stored = JSON.stringify(rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v));
  expect(stored).not.toContain(res.body.token);
  expect(stored).not.toContain(res.body.token.slice(8));

  const list = await request(stack.t.app).get('/api/v1/auth/me/tokens').set(bearer(dev.token));
  expect(list.body.tokens).toHaveLength(1);
  expect(JSON.stringify(list.body)).not.toContain(res.body.token);
  const events = await q(`SELECT type, detail FROM auth.audit_events WHERE user_id = $1 AND type = 'pat_created'`, [dev.id]);
  expect(events[0].detail).toMatchObject({ pat_id: res.body.id, scopes: ['cats:read', 'cats:publish'] });
});

it('exchanges it at /token for a short-lived user token with scope and pat_id, verified offline by @cathouse/auth-client', async () => {
  const dev = await user();
  const { body: pat } = await create(dev.token, { name: 'laptop', scopes: ['cats:publish', 'profile:read'], expires_at: inDays(7) });
  const res = await exchange(pat.token);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ token_type: 'Bearer', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', scope: 'profile:read cats:publish' });
  expect(res.body.expires_in).toBeLessThanOrEqual(900);
  expect(res.body.refresh_token).toBeUndefined();
  const claims = claimsOf(res.body.access_token);
  expect(claims).toMatchObject({ sub: dev.id, aud: 'cathouse', role: 'developer', scope: 'profile:read cats:publish', pat_id: pat.id });
  expect(claims.sid).toBeUndefined();

  const common = { jwksUri: `${stack.url}/.well-known/jwks.json`, issuer: stack.t.config.auth.issuer, audience: stack.t.config.auth.audience };
  // A service that has not opted in refuses it; one that has sees the scopes.
  await expect(createVerifier(common).verify(res.body.access_token)).rejects.toMatchObject({ code: 'invalid_token' });
  const verifier = createVerifier({ ...common, personalAccessTokens: true });
  expect(await verifier.verify(res.body.access_token)).toMatchObject({ kind: 'user', sub: dev.id, pat_id: pat.id, scopes: ['profile:read', 'cats:publish'] });

  // Another service's routes: scopes enforced for PAT tokens, and a route naming no scope refuses them.
  const catalog = express();
  catalog.use(requireAuth(verifier));
  catalog.post('/publish', requireUserScope('cats:publish'), requireRole('developer'), (_req, res) => void res.json({ ok: true }));
  catalog.post('/draft', requireUserScope('cats:write'), (_req, res) => void res.json({ ok: true }));
  catalog.get('/settings', requireRole('developer'), (_req, res) => void res.json({ ok: true }));
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  expect((await request(catalog).post('/publish').set(as(res.body.access_token))).status).toBe(200);
  expect((await request(catalog).post('/draft').set(as(res.body.access_token))).status).toBe(403);
  expect((await request(catalog).get('/settings').set(as(res.body.access_token))).status).toBe(403);
  // A session's token passes every one of them.
  expect((await request(catalog).post('/draft').set(as(dev.token))).status).toBe(200);
  expect((await request(catalog).get('/settings').set(as(dev.token))).status).toBe(200);

  // The account API is for sessions: a PAT-derived token cannot read me/ or make more tokens.
  expect((await request(stack.t.app).get('/api/v1/auth/me').set(bearer(res.body.access_token))).status).toBe(401);
  expect((await create(res.body.access_token, { name: 'x', scopes: ['cats:read'], expires_at: inDays(1) })).status).toBe(401);

  const [listed] = (await request(stack.t.app).get('/api/v1/auth/me/tokens').set(bearer(dev.token))).body.tokens;
  expect(listed.last_used_at).not.toBeNull();
  expect(listed.last_used_ip).toBe('127.0.0.1');
});

it('narrows to requested scopes, refuses scopes beyond the token, and drops scopes the role lost', async () => {
  const dev = await user();
  const { body: pat } = await create(dev.token, { name: 'narrow', scopes: ['cats:publish', 'profile:read'], expires_at: inDays(7) });
  expect((await exchange(pat.token, { scope: 'profile:read' })).body.scope).toBe('profile:read');
  const beyond = await exchange(pat.token, { scope: 'cats:write' });
  expect(beyond.status).toBe(400);
  expect(beyond.body.error).toBe('invalid_scope');
  await q(`UPDATE auth.users SET role = 'player' WHERE id = $1`, [dev.id]);
  const demoted = await exchange(pat.token);
  expect(demoted.body.scope).toBe('profile:read');
  expect(claimsOf(demoted.body.access_token).role).toBe('player');
});

it('refuses scopes beyond the role, unknown scopes, and an expiry missing, past or beyond PAT_MAX_TTL_DAYS', async () => {
  const player = await user('player');
  const cases: [Record<string, unknown>, number, string][] = [
    [{ name: 'p', scopes: ['cats:publish'], expires_at: inDays(7) }, 400, 'invalid_scope'],
    [{ name: 'p', scopes: ['everything'], expires_at: inDays(7) }, 400, 'invalid_scope'],
    [{ name: 'p', scopes: [], expires_at: inDays(7) }, 400, 'invalid_request'],
    [{ name: 'p', scopes: ['profile:read'] }, 400, 'invalid_request'],
    [{ name: 'p', scopes: ['profile:read'], expires_at: inDays(-1) }, 400, 'invalid_request'],
    [{ name: 'p', scopes: ['profile:read'], expires_at: inDays(91) }, 400, 'invalid_request'],
  ];
  for (const [body, status, code] of cases) {
    const res = await create(player.token, body);
    expect([res.status, res.body.error, JSON.stringify(body)]).toEqual([status, code, JSON.stringify(body)]);
  }
  expect((await create(player.token, { name: 'p', scopes: ['profile:read'], expires_at: inDays(90) })).status).toBe(201);
});

it('needs a recent sign-in to create a token (403 reauthentication_required after PAT_CREATE_MAX_AUTH_AGE_SECONDS)', async () => {
  const dev = await user();
  await q(`UPDATE auth.sessions SET created_at = now() - interval '16 minutes' WHERE user_id = $1`, [dev.id]);
  const res = await create(dev.token, { name: 'late', scopes: ['cats:read'], expires_at: inDays(7) });
  expect(res.status).toBe(403);
  expect(res.body.error).toBe('reauthentication_required');
});

it('allows PAT_MAX_PER_USER live tokens, even when created concurrently', async () => {
  const dev = await user();
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => create(dev.token, { name: `t${i}`, scopes: ['cats:read'], expires_at: inDays(1) })));
  expect(results.filter((r) => r.status === 201)).toHaveLength(3);
  expect(results.filter((r) => r.status === 403).map((r) => r.body.error)).toEqual(['forbidden', 'forbidden', 'forbidden']);
});

it('revocation (one, then all) and expiry take effect at the next exchange, and refusals of a known token are audited', async () => {
  const dev = await user();
  const make = async (name: string) => (await create(dev.token, { name, scopes: ['cats:read'], expires_at: inDays(7) })).body as { id: string; token: string };
  const [a, b, c] = [await make('a'), await make('b'), await make('c')];
  expect((await exchange(a.token)).status).toBe(200);

  expect((await request(stack.t.app).delete(`/api/v1/auth/me/tokens/${a.id}`).set(bearer(dev.token))).status).toBe(204);
  const refused = await exchange(a.token);
  expect(refused.status).toBe(400);
  expect(refused.body.error).toBe('invalid_request');
  // Revoking again is not an error; someone else's token is not_found.
  expect((await request(stack.t.app).delete(`/api/v1/auth/me/tokens/${a.id}`).set(bearer(dev.token))).status).toBe(204);
  const other = await user();
  expect((await request(stack.t.app).delete(`/api/v1/auth/me/tokens/${b.id}`).set(bearer(other.token))).status).toBe(404);

  await q(`UPDATE auth.personal_access_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [b.id]);
  expect((await exchange(b.token)).status).toBe(400);

  const all = await request(stack.t.app).delete('/api/v1/auth/me/tokens').set(bearer(dev.token));
  expect(all.body).toEqual({ revoked: 1 });
  expect((await exchange(c.token)).status).toBe(400);

  const statuses = (await request(stack.t.app).get('/api/v1/auth/me/tokens').set(bearer(dev.token))).body.tokens.map((t: { name: string; status: string }) => `${t.name}:${t.status}`);
  expect(statuses.sort()).toEqual(['a:revoked', 'b:expired', 'c:revoked']);
  const events = await q(`SELECT type, detail->>'reason' AS reason FROM auth.audit_events WHERE user_id = $1 AND type LIKE 'pat_%' ORDER BY id`, [dev.id]);
  expect(events.map((e: { type: string; reason: string | null }) => (e.reason ? `${e.type}:${e.reason}` : e.type))).toEqual([
    'pat_created', 'pat_created', 'pat_created', 'pat_used', 'pat_revoked', 'pat_refused:revoked', 'pat_refused:expired', 'pat_revoked', 'pat_refused:revoked',
  ]);
});

it("a deactivated user's tokens are refused", async () => {
  const dev = await user();
  const { body: pat } = await create(dev.token, { name: 'ci', scopes: ['cats:read'], expires_at: inDays(7) });
  await q(`UPDATE auth.users SET is_active = false WHERE id = $1`, [dev.id]);
  expect((await exchange(pat.token)).status).toBe(400);
});

it('checks prefix, length and checksum before any database lookup', async () => {
  // An app whose database connection is closed: a token that reaches a lookup fails with a 5xx.
  const closed = await startTestApp(db.url);
  await closed.dataSource.destroy();
  const send = (subject: string) =>
    request(closed.app).post(TOKEN).type('form').send({ grant_type: EXCHANGE, subject_token: subject, subject_token_type: PAT_TYPE });
  const good = generatePat();
  const flipped = good.slice(0, 10) + (good[10] === 'A' ? 'B' : 'A') + good.slice(11);
  for (const bad of [flipped, good.slice(0, -1), `ghp_${good.slice(4)}`, good.replace('chp_', 'CHP_')]) {
    const res = await send(bad);
    expect([bad, res.status, res.body.error]).toEqual([bad, 400, 'invalid_request']);
  }
  expect((await send(good)).status).toBeGreaterThanOrEqual(500);
});

it('a token made or revoked moves the security stamp (mailed links asked before die); a repeated revocation does not', async () => {
  const dev = await user();
  const stamp = async () => Number((await q(`SELECT security_stamp FROM auth.users WHERE id = $1`, [dev.id]))[0].security_stamp);
  const before = await stamp();
  const { body: pat } = await create(dev.token, { name: 'ci', scopes: ['cats:read'], expires_at: inDays(7) });
  await create(dev.token, { name: 'ci2', scopes: ['cats:read'], expires_at: inDays(7) });
  const revokeOne = () => request(stack.t.app).delete(`/api/v1/auth/me/tokens/${pat.id}`).set(bearer(dev.token));
  const steps = [await stamp()];
  await revokeOne();
  steps.push(await stamp());
  await revokeOne();
  steps.push(await stamp());
  await request(stack.t.app).delete('/api/v1/auth/me/tokens').set(bearer(dev.token));
  steps.push(await stamp());
  await request(stack.t.app).delete('/api/v1/auth/me/tokens').set(bearer(dev.token));
  steps.push(await stamp());
  expect(steps.map((s) => s - before)).toEqual([2, 3, 3, 4, 4]);
});

it('deleting the account deletes its tokens, and the token is refused', async () => {
  const dev = await user();
  const { body: pat } = await create(dev.token, { name: "Mia's laptop", scopes: ['cats:read'], expires_at: inDays(7) });
  const deleted = await request(stack.t.app).delete('/api/v1/auth/me').set(bearer(dev.token)).send({ password: PASSWORD });
  expect(deleted.status).toBe(204);
  expect(await q(`SELECT id FROM auth.personal_access_tokens WHERE user_id = $1`, [dev.id])).toEqual([]);
  expect((await exchange(pat.token)).status).toBe(400);
});
