import request from 'supertest';
import { pruneUnusedGuests } from '../../src/auth/guests/guest-pruning';
import { bearer, register, uniqueEmail } from '../auth/helpers';
import { createCat, install } from '../auth/installations';
import { appleClaims, rawNonce } from './stand-in-provider';
import { APPLE_CLIENT, metricValue, useFederationTestbed } from './support';

const bed = useFederationTestbed({ GUEST_MAX_PER_IP: '1000' });
const api = (path: string) => `/api/v1/auth${path}`;
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

async function guest() {
  const res = await request(bed.app.app).post(api('/guest'));
  expect(res.status).toBe(201);
  return res.body as { access_token: string; refresh_token: string; user: { id: string } };
}

describe('guest players', () => {
  it('signs in a guest: is_anonymous in the token and at /me, no address, and a refresh keeps it a guest', async () => {
    const g = await guest();
    expect(claimsOf(g.access_token)).toMatchObject({ role: 'guest', is_anonymous: true });
    const me = await request(bed.app.app).get(api('/me')).set(bearer(g.access_token));
    expect(me.body).toMatchObject({ id: g.user.id, email: null, is_anonymous: true, role: 'guest' });
    const refreshed = await request(bed.app.app).post(api('/refresh')).send({ refresh_token: g.refresh_token });
    expect(claimsOf(refreshed.body.access_token)).toMatchObject({ is_anonymous: true });
    // A player's token has no is_anonymous claim at all.
    const player = await register(bed.app.app, uniqueEmail('player'));
    expect(claimsOf(player.access_token).is_anonymous).toBeUndefined();
  });

  it('upgrades with a password keeping the same id: the installation another service stored for the guest stays its own', async () => {
    const g = await guest();
    const developer = await register(bed.app.app, uniqueEmail('dev'));
    const installation = await install(bed.app.dataSource, g.user.id, await createCat(bed.app.dataSource, developer.user.id));
    const email = uniqueEmail('upgraded');
    const res = await request(bed.app.app).post(api('/guest/upgrade')).set(bearer(g.access_token)).send({ email, password: 'correct horse battery staple' });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: g.user.id, email, is_anonymous: false, role: 'player', email_verified: false });
    expect(claimsOf(res.body.access_token).is_anonymous).toBeUndefined();
    const [row] = await bed.app.dataSource.query(`SELECT user_id FROM installation.installations WHERE id = $1`, [installation]);
    expect(row.user_id).toBe(g.user.id);
    // The new password logs in to the same account, and a verification mail is queued for the address.
    const login = await request(bed.app.app).post(api('/login')).send({ email, password: 'correct horse battery staple' });
    expect(login.body.user.id).toBe(g.user.id);
    const [links] = await bed.app.dataSource.query(`SELECT count(*)::int AS n FROM auth.account_tokens WHERE user_id = $1 AND purpose = 'verify_email'`, [g.user.id]);
    expect(links.n).toBe(1);
    // Once upgraded it is no guest: a second upgrade is refused.
    const again = await request(bed.app.app).post(api('/guest/upgrade')).set(bearer(res.body.access_token)).send({ email: uniqueEmail('x'), password: 'correct horse battery staple' });
    expect(again.body.error).toBe('not_a_guest');
    const types = (await bed.app.dataSource.query(`SELECT type FROM auth.audit_events WHERE user_id = $1 ORDER BY id`, [g.user.id])).map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['guest_created', 'guest_upgraded']));
  });

  it('upgrades with an Apple sign-in keeping the same id, the address proven; the identity then signs in to it', async () => {
    const g = await guest();
    const nonce = rawNonce();
    const claims = appleClaims(bed.apple, APPLE_CLIENT, nonce);
    const res = await request(bed.app.app).post(api('/guest/upgrade')).set(bearer(g.access_token)).send({ provider: 'apple', id_token: await bed.apple.sign(claims), nonce, display_name: 'Mia' });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: g.user.id, email: claims.email, email_verified: true, is_anonymous: false, display_name: 'Mia' });
    const nonce2 = rawNonce();
    const signIn = await request(bed.app.app).post(api('/id-token')).send({ provider: 'apple', nonce: nonce2, id_token: await bed.apple.sign(appleClaims(bed.apple, APPLE_CLIENT, nonce2, { sub: claims.sub, email: claims.email })) });
    expect(signIn.body.user.id).toBe(g.user.id);
  });

  it('counts guests created and upgraded (auth_guests_total), a refused upgrade not', async () => {
    const counts = async () => ({
      created: await metricValue(bed.app.app, 'auth_guests_total{event="created"}'),
      upgraded: await metricValue(bed.app.app, 'auth_guests_total{event="upgraded"}'),
    });
    const before = await counts();
    const g = await guest();
    expect(await counts()).toEqual({ created: before.created + 1, upgraded: before.upgraded });
    const refused = await request(bed.app.app).post(api('/guest/upgrade')).set(bearer(g.access_token)).send({ email: uniqueEmail('weak'), password: 'short' });
    expect(refused.status).toBe(400);
    expect(await counts()).toEqual({ created: before.created + 1, upgraded: before.upgraded });
    const res = await request(bed.app.app).post(api('/guest/upgrade')).set(bearer(g.access_token)).send({ email: uniqueEmail('counted'), password: 'correct horse battery staple' });
    expect(res.status).toBe(200);
    expect(await counts()).toEqual({ created: before.created + 1, upgraded: before.upgraded + 1 });
  });

  it('refuses an upgrade to an address another account has (email_taken), leaving the guest a guest', async () => {
    const taken = uniqueEmail('taken');
    await register(bed.app.app, taken);
    const g = await guest();
    const res = await request(bed.app.app).post(api('/guest/upgrade')).set(bearer(g.access_token)).send({ email: taken, password: 'correct horse battery staple' });
    expect(res.body.error).toBe('email_taken');
    expect((await request(bed.app.app).get(api('/me')).set(bearer(g.access_token))).body.is_anonymous).toBe(true);
  });

  it('prunes guests unused for their lifetime, but not one with an installation, a recent session, or a player', async () => {
    const stale = await guest();
    const recent = await guest();
    const installed = await guest();
    const developer = await register(bed.app.app, uniqueEmail('dev2'));
    await install(bed.app.dataSource, installed.user.id, await createCat(bed.app.dataSource, developer.user.id));
    // Make them look a day old; `recent` used its session a minute ago.
    await bed.app.dataSource.query(`UPDATE auth.users SET created_at = now() - interval '1 day' WHERE id = ANY($1)`, [[stale.user.id, recent.user.id, installed.user.id, developer.user.id]]);
    await bed.app.dataSource.query(`UPDATE auth.sessions SET last_used_at = now() - interval '1 day' WHERE user_id = ANY($1)`, [[stale.user.id, installed.user.id]]);
    await bed.app.dataSource.query(`UPDATE auth.sessions SET last_used_at = now() - interval '1 minute' WHERE user_id = $1`, [recent.user.id]);
    await pruneUnusedGuests(bed.app.dataSource, 3_600);
    const left = (await bed.app.dataSource.query(`SELECT id FROM auth.users WHERE id = ANY($1)`, [[stale.user.id, recent.user.id, installed.user.id, developer.user.id]])).map((r: { id: string }) => r.id);
    expect(left.sort()).toEqual([recent.user.id, installed.user.id, developer.user.id].sort());
  });
});

describe('guest sign-in limits', () => {
  const limited = useFederationTestbed({ GUEST_MAX_PER_IP: '2' });
  it('limits guest sign-ins per client address (GUEST_MAX_PER_IP), separately from registration', async () => {
    expect((await request(limited.app.app).post(api('/guest'))).status).toBe(201);
    expect((await request(limited.app.app).post(api('/guest'))).status).toBe(201);
    const third = await request(limited.app.app).post(api('/guest'));
    expect({ status: third.status, error: third.body.error }).toEqual({ status: 429, error: 'rate_limited' });
    expect(third.headers['retry-after']).toBeDefined();
    expect((await request(limited.app.app).post(api('/register')).send({ email: uniqueEmail('still'), password: 'correct horse battery staple' })).status).toBe(201);
  });
});

describe('a password upgrade under the registration throttle', () => {
  const throttled = useFederationTestbed({ REGISTER_MAX_PER_IP: '2' });
  it('counts as a registration of its address (REGISTER_MAX_PER_IP), so a guest cannot test addresses without limit', async () => {
    const taken = uniqueEmail('taken-throttle');
    await register(throttled.app.app, taken);
    const g = (await request(throttled.app.app).post(api('/guest')).expect(201)).body as { access_token: string };
    const upgrade = (email: string) => request(throttled.app.app).post(api('/guest/upgrade')).set(bearer(g.access_token)).send({ email, password: 'correct horse battery staple' });
    expect((await upgrade(taken)).body.error).toBe('email_taken');
    const third = await upgrade(uniqueEmail('free'));
    expect({ status: third.status, error: third.body.error }).toEqual({ status: 429, error: 'rate_limited' });
  });
});
