import { createHash } from 'node:crypto';
import request from 'supertest';
import { main } from '../../src/cli/admin/main';
import { useTestApp } from '../support/app';
import { bearer } from './helpers';
import { decodeClaims } from './installations';

const TOKEN = '/api/v1/auth/token';

/** `npm run admin -- clients ...` in-process (the same main() the script runs), against the test database. */
async function admin(databaseUrl: string, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    TOKEN_SECRET: 'test-secret-test-secret-test-secret-0123',
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const basic = (id: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

describe('service clients: npm run admin -- clients, and the client credentials grant', () => {
  const t = useTestApp({ SERVICE_TOKEN_TTL_SECONDS: '120' });
  const url = () => (t.dataSource.options as { url: string }).url;

  const grant = (id: string, secret: string, form: Record<string, string> = {}) =>
    request(t.app).post(TOKEN).set(basic(id, secret)).type('form').send({ grant_type: 'client_credentials', ...form });

  it('create prints the secret once; only its SHA-256 is stored; list never shows it', async () => {
    const created = await admin(url(), 'clients', 'create', 'catalog', '--scopes', 'users:read installations:read', '--json');
    expect(created.code).toBe(0);
    const { client_secret: secret, scopes } = JSON.parse(created.out);
    expect(secret).toMatch(/^chs_[A-Za-z0-9_-]{43}$/);
    expect(scopes).toEqual(['users:read', 'installations:read']);
    const [row] = await t.dataSource.query(`SELECT * FROM auth.service_clients WHERE client_id = 'catalog'`);
    expect(row.secret_hash).toEqual(createHash('sha256').update(secret).digest());
    expect(JSON.stringify(row)).not.toContain(secret.slice(4));
    const listed = await admin(url(), 'clients', 'list');
    expect(listed.out).toMatch(/^catalog {2}active {2}scopes=users:read,installations:read {2}created=\S+ {2}last_used=never$/m);
    expect(listed.out).not.toContain(secret);
  });

  it('client_credentials answers a short-lived service token: sub and client_id the client, scope, its own audience, no refresh token', async () => {
    const created = await admin(url(), 'clients', 'create', 'installs', '--scopes', 'installations:read users:read', '--json');
    const clientSecret: string = JSON.parse(created.out).client_secret;
    const res = await grant('installs', clientSecret, { scope: 'users:read' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 120, scope: 'users:read' });
    const claims = decodeClaims(res.body.access_token);
    expect(claims).toMatchObject({ sub: 'installs', client_id: 'installs', scope: 'users:read', aud: 'cathouse-services', iss: t.config.auth.issuer });
    expect((claims.exp as number) - (claims.iat as number)).toBe(120);
    expect(JSON.parse(Buffer.from(res.body.access_token.split('.')[0], 'base64url').toString()).typ).toBe('at+jwt');
    // Without scope: every scope of the client (RFC 6749 §3.3); in the body: client_secret_post.
    const post = await request(t.app).post(TOKEN).type('form').send({ grant_type: 'client_credentials', client_id: 'installs', client_secret: clientSecret });
    expect(post.body.scope).toBe('installations:read users:read');
    const [row] = await t.dataSource.query(`SELECT last_used_at FROM auth.service_clients WHERE client_id = 'installs'`);
    expect(row.last_used_at).toBeInstanceOf(Date);
  });

  it('a service token is refused by the user endpoints (audience separation)', async () => {
    const { client_secret } = JSON.parse((await admin(url(), 'clients', 'create', 'sep', '--scopes', 'users:read', '--json')).out);
    const token = (await grant('sep', client_secret)).body.access_token;
    const me = await request(t.app).get('/api/v1/auth/me').set(bearer(token));
    expect({ status: me.status, error: me.body.error }).toEqual({ status: 401, error: 'invalid_token' });
  });

  it('rotation: both secrets work during the grace period; the old one is refused after it', async () => {
    const old = JSON.parse((await admin(url(), 'clients', 'create', 'rotating', '--scopes', 'users:read', '--json')).out).client_secret;
    const rotated = await admin(url(), 'clients', 'rotate', 'rotating', '--grace-seconds', '3600', '--json');
    expect(rotated.code).toBe(0);
    const fresh = JSON.parse(rotated.out).client_secret;
    expect(fresh).not.toBe(old);
    expect((await grant('rotating', old)).status).toBe(200);
    expect((await grant('rotating', fresh)).status).toBe(200);
    expect((await admin(url(), 'clients', 'list')).out).toMatch(/^rotating .*previous_secret_until=/m);
    // The grace period ends (moved into the past rather than waited for).
    await t.dataSource.query(`UPDATE auth.service_clients SET previous_secret_expires_at = now() - interval '1 second' WHERE client_id = 'rotating'`);
    const late = await grant('rotating', old);
    expect({ status: late.status, error: late.body.error }).toEqual({ status: 401, error: 'invalid_client' });
    expect(late.headers['www-authenticate']).toMatch(/^Basic realm="cathouse"/);
    expect((await grant('rotating', fresh)).status).toBe(200);
  });

  it('a second rotation replaces the secret in grace: never more than two valid', async () => {
    const first = JSON.parse((await admin(url(), 'clients', 'create', 'twice', '--scopes', '', '--json')).out).client_secret;
    const second = JSON.parse((await admin(url(), 'clients', 'rotate', 'twice', '--json')).out).client_secret;
    const third = JSON.parse((await admin(url(), 'clients', 'rotate', 'twice', '--json')).out).client_secret;
    expect((await grant('twice', first)).status).toBe(401);
    expect((await grant('twice', second)).status).toBe(200);
    expect((await grant('twice', third)).status).toBe(200);
  });

  it('revoke stops every secret at once', async () => {
    const secret = JSON.parse((await admin(url(), 'clients', 'create', 'revoked', '--scopes', 'users:read', '--json')).out).client_secret;
    expect((await admin(url(), 'clients', 'revoke', 'revoked')).code).toBe(0);
    expect((await grant('revoked', secret)).body.error).toBe('invalid_client');
    expect((await admin(url(), 'clients', 'list')).out).toMatch(/^revoked {2}revoked /m);
  });

  it('exit codes: 1 for a refused operation, 2 for usage', async () => {
    await admin(url(), 'clients', 'create', 'dup', '--scopes', 'a');
    expect(await admin(url(), 'clients', 'create', 'dup', '--scopes', 'a')).toMatchObject({ code: 1, err: expect.stringContaining('already exists') });
    expect(await admin(url(), 'clients', 'rotate', 'nobody')).toMatchObject({ code: 1, err: expect.stringContaining('No client named "nobody"') });
    expect((await admin(url(), 'clients', 'create', 'Bad Name', '--scopes', 'a')).code).toBe(1);
    expect((await admin(url(), 'clients', 'create', 'noscopes')).code).toBe(2);
    expect((await admin(url(), 'clients', 'frobnicate')).code).toBe(2);
    expect((await admin(url(), 'nosuchgroup')).code).toBe(2);
    expect((await admin(url(), 'clients', 'list', '--bogus')).code).toBe(2);
  });
});
