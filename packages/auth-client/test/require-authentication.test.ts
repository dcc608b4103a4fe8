/**
 * requireAuthentication (issue 26 §4): another service asks for the sign-in behind a user's token
 * (amr, acr, auth_time) and refuses a token that falls short exactly as the auth service refuses
 * its own sensitive actions (401 insufficient_user_authentication, RFC 9470's WWW-Authenticate),
 * so one frontend handler (step up, retry) serves both. Real tokens from the running service:
 * TOTP codes computed from the secret, a stale session made by ageing its auth_time in the database.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createServiceVerifier, createVerifier, requireAuth, requireAuthentication, SECOND_FACTOR_METHODS } from '@cathouse/auth-client';
import { signAccessToken } from '../../../src/auth/tokens/access-tokens';
import { bearer, register, registerDeveloper, uniqueEmail } from '../../../test/auth/helpers';
import { serviceClient } from '../../../test/auth/installations';
import { ageSession, api, PASSWORD, totpCode, useFactorApp, userWithTotp } from '../../../test/factors/support';
import { codeBlock, run } from '../../../test/support/verifying-tokens-doc';

const claims = (token: string) => jwt.decode(token) as { sid: string; amr?: string[]; acr?: string; auth_time?: number };

/** The parameters of a `Bearer` challenge (RFC 6750 §3 / RFC 9470 §3), quoted values unquoted. */
function challenge(header: string | undefined): Record<string, string> {
  expect(header).toMatch(/^Bearer /);
  return Object.fromEntries([...header!.matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

describe('@cathouse/auth-client requireAuthentication against the running auth service', () => {
  const f = useFactorApp();
  let server: Server;
  let jwksUri: string;

  beforeAll(async () => {
    server = f.t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  /** A downstream service (say, payouts) whose routes ask for a sign-in of each kind. */
  function payouts() {
    const common = { jwksUri, issuer: 'cathouse-auth' };
    const users = createVerifier({ ...common, audience: 'cathouse', personalAccessTokens: true });
    const services = createServiceVerifier({ ...common, audience: 'cathouse-services', jwks: users.jwks });
    const app = express();
    app.use(requireAuth(users, services));
    const ok = (_req: express.Request, res: express.Response) => void res.json({ ok: true });
    app.get('/otp', requireAuthentication({ amr: ['otp'] }), ok);
    app.get('/mfa-acr', requireAuthentication({ acr: 'urn:cathouse:acr:mfa' }), ok);
    app.get('/recent', requireAuthentication({ maxAgeSeconds: 600 }), ok);
    app.get('/recent-second-factor', requireAuthentication({ amr: SECOND_FACTOR_METHODS, maxAgeSeconds: 600 }), ok);
    return app;
  }

  /** Password, then the authenticator app's code: the token response of a two-factor sign-in. */
  async function signInWithTotp(email: string, secret: string) {
    const first = await request(f.t.app).post(api('/login')).send({ email, password: PASSWORD });
    expect(first.body.error).toBe('mfa_required');
    f.clock.step();
    const done = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: first.body.mfa_token, totp_code: totpCode(secret, f.clock.now) });
    expect(done.status).toBe(200);
    return done.body as { access_token: string; refresh_token: string };
  }

  it('a password-only token is refused amr otp with the service’s own step-up answer; a token after the TOTP passes', async () => {
    const app = payouts();
    const u = await userWithTotp(f, 'pwd-only');
    expect(claims(u.reg.access_token).amr).toEqual(['pwd']);

    const refused = await request(app).get('/otp').set(bearer(u.reg.access_token));
    expect(refused.status).toBe(401);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ error: 'insufficient_user_authentication', type: 'urn:cathouse:problem:insufficient_user_authentication', amr_values: ['otp'] });
    expect(refused.body.detail).toContain('step up');
    // The auth service's refusal of the same token before one of its sensitive actions: same status, code and challenge.
    const own = await request(f.t.app).post(api('/password/change')).set(bearer(u.reg.access_token)).send({ current_password: PASSWORD, new_password: 'another long passphrase' });
    expect(own.status).toBe(refused.status);
    expect(own.body.error).toBe(refused.body.error);
    expect(challenge(own.headers['www-authenticate']).error).toBe('insufficient_user_authentication');
    expect(challenge(refused.headers['www-authenticate']).error).toBe('insufficient_user_authentication');

    const acrRefused = await request(app).get('/mfa-acr').set(bearer(u.reg.access_token));
    expect(acrRefused.status).toBe(401);
    expect(challenge(acrRefused.headers['www-authenticate'])).toMatchObject({ error: 'insufficient_user_authentication', acr_values: 'urn:cathouse:acr:mfa' });
    expect(acrRefused.body.acr_values).toBe('urn:cathouse:acr:mfa');

    const twoFactor = await signInWithTotp(u.email, u.secret);
    expect(claims(twoFactor.access_token)).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: 'urn:cathouse:acr:mfa' });
    expect((await request(app).get('/otp').set(bearer(twoFactor.access_token))).status).toBe(200);
    expect((await request(app).get('/mfa-acr').set(bearer(twoFactor.access_token))).status).toBe(200);
  });

  it('a second factor older than maxAgeSeconds is refused with max_age, as the service refuses it; a step-up’s token passes', async () => {
    const app = payouts();
    const u = await userWithTotp(f, 'stale');
    const signedIn = await signInWithTotp(u.email, u.secret);
    expect((await request(app).get('/recent-second-factor').set(bearer(signedIn.access_token))).status).toBe(200);

    // Two hours later (the session's auth_time aged in the database), a refresh gives a token that says so.
    await ageSession(f, claims(signedIn.access_token).sid);
    const refreshed = await request(f.t.app).post('/api/v1/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: signedIn.refresh_token });
    expect(refreshed.status).toBe(200);
    const stale = refreshed.body.access_token as string;
    expect(claims(stale).amr).toContain('otp');
    expect(claims(stale).auth_time).toBeLessThan(Date.now() / 1000 - 3600);

    for (const path of ['/recent', '/recent-second-factor']) {
      const refused = await request(app).get(path).set(bearer(stale));
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ error: 'insufficient_user_authentication', max_age: 600 });
      expect(challenge(refused.headers['www-authenticate'])).toMatchObject({ error: 'insufficient_user_authentication', max_age: '600' });
    }
    const own = await request(f.t.app).post(api('/password/change')).set(bearer(stale)).send({ current_password: PASSWORD, new_password: 'another long passphrase' });
    expect(own.body).toMatchObject({ error: 'insufficient_user_authentication', max_age: 600 });
    expect(challenge(own.headers['www-authenticate'])).toMatchObject({ error: 'insufficient_user_authentication', max_age: '600' });

    f.clock.step();
    const stepped = await request(f.t.app).post(api('/step-up')).set(bearer(stale)).send({ totp_code: totpCode(u.secret, f.clock.now) });
    expect(stepped.status).toBe(200);
    expect(claims(stepped.body.access_token).sid).toBe(claims(stale).sid);
    expect((await request(app).get('/recent').set(bearer(stepped.body.access_token))).status).toBe(200);
    expect((await request(app).get('/recent-second-factor').set(bearer(stepped.body.access_token))).status).toBe(200);
  });

  it('tokens with no sign-in behind them are refused clearly: service tokens, PAT-derived tokens, tokens from before amr, no token', async () => {
    const app = payouts();
    const { clientSecret } = await serviceClient(f.t.dataSource, 'payouts-caller', ['users:read']);
    const service = await request(f.t.app)
      .post('/api/v1/auth/token')
      .auth('payouts-caller', clientSecret)
      .type('form')
      .send({ grant_type: 'client_credentials' });
    const asService = await request(app).get('/recent').set(bearer(service.body.access_token));
    expect(asService.status).toBe(403);
    expect(asService.body).toMatchObject({ error: 'forbidden', detail: 'This needs a user token, not a service token.' });

    const dev = await registerDeveloper(f.t, uniqueEmail('pat'), PASSWORD);
    const pat = await request(f.t.app).post(api('/me/tokens')).set(bearer(dev.access_token)).send({ name: 'ci', scopes: ['cats:read'], expires_at: new Date(Date.now() + 86_400_000).toISOString() });
    expect(pat.status).toBe(201);
    const exchanged = await request(f.t.app).post('/api/v1/auth/token').type('form').send({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: pat.body.token,
      subject_token_type: 'urn:cathouse:params:oauth:token-type:personal_access_token',
    });
    expect(claims(exchanged.body.access_token).amr).toBeUndefined();
    const asPat = await request(app).get('/recent').set(bearer(exchanged.body.access_token));
    expect(asPat.status).toBe(403);
    expect(asPat.body.error).toBe('forbidden');
    expect(asPat.body.detail).toContain('personal access token');

    // A session's token signed before issue 26 (the service's signer, given no authentication, as older callers did).
    const reg = await register(f.t.app, uniqueEmail('old-token'), PASSWORD);
    const old = signAccessToken(
      f.t.authKeys.signingKeys,
      { issuer: f.t.config.auth.issuer, audience: f.t.config.auth.audience, ttlSeconds: 300 },
      { userId: reg.user.id, sessionId: claims(reg.access_token).sid, role: 'player', emailVerified: false },
    );
    expect(claims(old)).not.toHaveProperty('amr');
    const asOld = await request(app).get('/recent-second-factor').set(bearer(old));
    expect(asOld.status).toBe(401);
    expect(asOld.body.error).toBe('insufficient_user_authentication');
    expect(asOld.body.detail).toContain('this token carries no amr');
    expect(asOld.body.detail).toContain('this token carries no auth_time');

    const anonymous = await request(app).get('/recent');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_token');
  });

  it('docs/verifying-tokens.md: the Python step_up_challenge (PyJWT) judges the same tokens alike', async () => {
    const u = await userWithTotp(f, 'python');
    const signedIn = await signInWithTotp(u.email, u.secret);
    await ageSession(f, claims(signedIn.access_token).sid);
    const stale = (await request(f.t.app).post('/api/v1/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: signedIn.refresh_token })).body.access_token as string;
    f.clock.step();
    const stepped = (await request(f.t.app).post(api('/step-up')).set(bearer(stale)).send({ totp_code: totpCode(u.secret, f.clock.now) })).body.access_token as string;

    const recentSecondFactor = { amr: ['otp', 'hwk', 'swk', 'mfa'], max_age: 600 };
    const cases = [
      { token: u.reg.access_token, amr: ['otp'] },
      { token: signedIn.access_token, amr: ['otp'] },
      { token: u.reg.access_token, acr: 'urn:cathouse:acr:mfa' },
      { token: signedIn.access_token, acr: 'urn:cathouse:acr:mfa' },
      { token: stale, ...recentSecondFactor },
      { token: stepped, ...recentSecondFactor },
    ];
    const driver = `
import json, sys
print(json.dumps([step_up_challenge(verify_user(c["token"]), c.get("amr"), c.get("acr"), c.get("max_age")) for c in json.load(sys.stdin)]))
`;
    const env = { CATHOUSE_AUTH_URL: jwksUri.replace('/.well-known/jwks.json', ''), CATHOUSE_ISSUER: f.t.config.auth.issuer };
    const { code, stdout, stderr } = await run('/usr/bin/python3', ['-c', (await codeBlock('python')) + driver], JSON.stringify(cases), env);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const answers = JSON.parse(stdout) as (string | null)[];
    expect(answers.map((a) => (a === null ? 'passes' : challenge(a)))).toEqual([
      { error: 'insufficient_user_authentication', error_description: expect.any(String) },
      'passes',
      { error: 'insufficient_user_authentication', error_description: expect.any(String), acr_values: 'urn:cathouse:acr:mfa' },
      'passes',
      { error: 'insufficient_user_authentication', error_description: expect.any(String), max_age: '600' },
      'passes',
    ]);
  });

  it('refuses to be set up without a requirement, with an empty amr list or a maxAgeSeconds that is not a positive whole number', () => {
    expect(() => requireAuthentication({})).toThrow(/needs amr, acr or maxAgeSeconds/);
    expect(() => requireAuthentication({ amr: [] })).toThrow(/amr is empty/);
    expect(() => requireAuthentication({ maxAgeSeconds: 0 })).toThrow(/positive whole number/);
    expect(() => requireAuthentication({ maxAgeSeconds: 1.5 })).toThrow(/positive whole number/);
  });
});
