import request from 'supertest';
import { api, login, PASSWORD, useMailApp } from '../account/support';
import { appleClaims, rawNonce, StandInProvider } from './stand-in-provider';
import { APPLE_CLIENT } from './support';

// The provider starts first; useMailApp reads `env` when its own beforeAll runs.
const env: Record<string, string> = {};
let apple: StandInProvider;
beforeAll(async () => {
  apple = await StandInProvider.start('apple');
  Object.assign(env, { APPLE_CLIENT_IDS: APPLE_CLIENT, APPLE_ISSUER: apple.issuer, APPLE_JWKS_URI: apple.jwksUri });
});
afterAll(() => apple.close());
const m = useMailApp(env);

describe('an account made by a provider sign-in', () => {
  it('has no password until the owner sets one through the reset flow; then both ways sign in to the same account', async () => {
    const nonce = rawNonce();
    const claims = appleClaims(apple, APPLE_CLIENT, nonce, { email: 'owner-of-apple@cathouse.example', is_private_email: 'false' });
    const signedUp = await request(m.t.app).post(api('/id-token')).send({ provider: 'apple', nonce, id_token: await apple.sign(claims) });
    expect(signedUp.status).toBe(201);
    expect((await login(m, claims.email, PASSWORD)).body.error).toBe('invalid_credentials');

    expect((await request(m.t.app).post(api('/password/forgot')).send({ email: claims.email })).status).toBe(202);
    const mail = await m.smtp.waitFor(claims.email, /Reset your password/);
    expect((await request(m.t.app).post(api('/password/reset')).send({ token: mail.token, password: PASSWORD })).status).toBeLessThan(300);
    const loggedIn = await login(m, claims.email, PASSWORD);
    expect(loggedIn.body.user.id).toBe(signedUp.body.user.id);
  });
});
