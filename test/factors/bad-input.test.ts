import request from 'supertest';
import { bearer, register, uniqueEmail } from '../auth/helpers';
import { api, PASSWORD, useFactorApp } from './support';

describe('bad input is a 4xx with a stable code, never a 500', () => {
  const f = useFactorApp();
  const garbageAssertion = {
    id: 'AAAA',
    rawId: 'AAAA',
    type: 'public-key',
    response: { clientDataJSON: 'bm90IGpzb24', authenticatorData: 'AAAA', signature: 'AAAA' },
    clientExtensionResults: {},
  };

  it('a passkey response that is not one, an unknown MFA token, a malformed passkey id', async () => {
    const signIn = await request(f.t.app).post(api('/passkeys/sign-in')).send({ response: garbageAssertion });
    expect([signIn.status, signIn.body.error]).toEqual([401, 'invalid_credentials']);
    const reg = await register(f.t.app, uniqueEmail('garbage'), PASSWORD);
    const registration = await request(f.t.app)
      .post(api('/me/passkeys'))
      .set(bearer(reg.access_token))
      .send({ response: { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'bm90IGpzb24', attestationObject: 'AAAA' }, clientExtensionResults: {} } });
    expect([registration.status, registration.body.error]).toEqual([401, 'invalid_credentials']);
    const unknown = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: 'nope', totp_code: '123456' });
    expect([unknown.status, unknown.body.error]).toEqual([400, 'invalid_mfa_token']);
    const options = await request(f.t.app).post(api('/mfa/passkey-options')).send({ mfa_token: 'nope' });
    expect(options.body.error).toBe('invalid_mfa_token');
    expect((await request(f.t.app).delete(api('/me/passkeys/xyz')).set(bearer(reg.access_token))).status).toBe(400);
    expect((await request(f.t.app).post(api('/passkeys/sign-in')).send({ response: 'x' })).status).toBe(400);
  });
});
