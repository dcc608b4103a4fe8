/**
 * Pruning of developer credentials: device logins a day past their expiry go, live ones stay;
 * personal access tokens go PAT_RETENTION_DAYS after they expired or were revoked, and not before
 * (their owner still sees them listed until then). Batches are bounded.
 */
import request from 'supertest';
import { pruneDeveloperCredentials } from '../../src/auth/developer-credentials/pruning';
import { bearer, registerDeveloper, uniqueEmail } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { listen, PASSWORD, type Listening } from './support';

let db: TestDatabase;
let stack: Listening;

beforeAll(async () => {
  db = await createTestDatabase();
  stack = await listen(db.url);
});
afterAll(async () => {
  await stack?.close();
  await db?.drop();
});

const q = (text: string, params: unknown[] = []) => stack.t.dataSource.query(text, params);
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

async function deviceLogin(): Promise<string> {
  const res = await request(stack.t.app).post('/api/v1/auth/device_authorization').type('form').send({ client_id: 'cathouse-cli' });
  expect(res.status).toBe(200);
  return (res.body.user_code as string).replace('-', '');
}

async function pats(count: number): Promise<{ userId: string; ids: string[] }> {
  const body = await registerDeveloper(stack.t, uniqueEmail('dev'), PASSWORD);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await request(stack.t.app).post('/api/v1/auth/me/tokens').set(bearer(body.access_token)).send({ name: `t${i}`, scopes: ['cats:read'], expires_at: inDays(30) });
    expect(res.status).toBe(201);
    ids.push(res.body.id);
  }
  return { userId: body.user.id, ids };
}

it('deletes device logins a day past their expiry and keeps the others', async () => {
  const [old, recent, live] = [await deviceLogin(), await deviceLogin(), await deviceLogin()];
  await q(`UPDATE auth.device_authorizations SET created_at = now() - interval '3 days', expires_at = now() - interval '25 hours' WHERE user_code = $1`, [old]);
  await q(`UPDATE auth.device_authorizations SET expires_at = now() - interval '23 hours' WHERE user_code = $1`, [recent]);

  const pruned = await pruneDeveloperCredentials(stack.t.dataSource, 30);
  expect(pruned.devices).toBe(1);
  const left = await q(`SELECT user_code FROM auth.device_authorizations WHERE user_code = ANY($1) ORDER BY user_code`, [[old, recent, live]]);
  expect(left.map((r: { user_code: string }) => r.user_code)).toEqual([recent, live].sort());
});

it('deletes PATs only PAT_RETENTION_DAYS after they expired or were revoked', async () => {
  const { ids } = await pats(5);
  const [expiredLong, expiredRecently, revokedLong, revokedRecently, live] = ids as [string, string, string, string, string];
  const set = (id: string, assignment: string) => q(`UPDATE auth.personal_access_tokens SET created_at = now() - interval '90 days', ${assignment} WHERE id = $1`, [id]);
  await set(expiredLong, `expires_at = now() - interval '31 days'`);
  await set(expiredRecently, `expires_at = now() - interval '29 days'`);
  await set(revokedLong, `revoked_at = now() - interval '31 days'`);
  await set(revokedRecently, `revoked_at = now() - interval '29 days'`);

  const pruned = await pruneDeveloperCredentials(stack.t.dataSource, 30);
  expect(pruned.pats).toBe(2);
  const left = await q(`SELECT id FROM auth.personal_access_tokens WHERE id = ANY($1)`, [ids]);
  expect(left.map((r: { id: string }) => r.id).sort()).toEqual([expiredRecently, revokedRecently, live].sort());
});

it('deletes at most one batch per run', async () => {
  const { ids } = await pats(3);
  await q(`UPDATE auth.personal_access_tokens SET created_at = now() - interval '90 days', expires_at = now() - interval '40 days' WHERE id = ANY($1)`, [ids]);
  expect((await pruneDeveloperCredentials(stack.t.dataSource, 30, 2)).pats).toBe(2);
  expect((await pruneDeveloperCredentials(stack.t.dataSource, 30, 2)).pats).toBe(1);
});
