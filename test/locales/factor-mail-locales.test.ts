import request from 'supertest';
import { renderMail } from '../../src/auth/mail/messages';
import { testConfig } from '../support/env';
import { bearer, uniqueEmail } from '../auth/helpers';
import { api, PASSWORD, totpCode, useFactorApp } from '../factors/support';

describe('second-factor mails in the user\'s language, through a real SMTP server (issues 26, 30)', () => {
  const f = useFactorApp();

  it('a user with locale es gets the factor added, recovery code used and factor removed mails in Spanish, text and HTML', async () => {
    const email = uniqueEmail('factor-es');
    const reg = await request(f.t.app).post(api('/register')).send({ email, password: PASSWORD, locale: 'es' }).expect(201);
    const token = reg.body.access_token as string;
    const begun = await request(f.t.app).post(api('/me/totp')).set(bearer(token)).expect(201);
    const confirmed = await request(f.t.app).post(api('/me/totp/confirm')).set(bearer(token)).send({ code: totpCode(begun.body.secret, f.clock.now) }).expect(200);
    f.clock.step();

    const added = await f.smtp.waitFor(email, /Se ha añadido un factor/);
    expect(added.subject).toBe('Se ha añadido un factor de inicio de sesión a tu cuenta');
    expect(added.text).toContain('Se ha añadido un factor de inicio de sesión a tu cuenta de Cat House: una app de autenticación.');
    expect(added.html).toContain('<html lang="es">');
    expect(added.html).toContain('<p>Se ha añadido un factor de inicio de sesión a tu cuenta de Cat House: una app de autenticación.');

    // The password alone now answers 403 with an MFA challenge.
    const challenge = await request(f.t.app).post(api('/login')).send({ email, password: PASSWORD }).expect(403);
    const used = await request(f.t.app).post(api('/mfa/verify')).send({ mfa_token: challenge.body.mfa_token, recovery_code: confirmed.body.recovery_codes[0] }).expect(200);
    const recovery = await f.smtp.waitFor(email, /Se ha usado un código de recuperación/);
    expect(recovery.text).toContain('te quedan 9 códigos sin usar');
    expect(recovery.html).toContain('te quedan 9 códigos sin usar');

    const stepped = await request(f.t.app).post(api('/step-up')).set(bearer(used.body.access_token)).send({ totp_code: totpCode(begun.body.secret, f.clock.now) }).expect(200);
    await request(f.t.app).delete(api('/me/totp')).set(bearer(stepped.body.access_token)).expect(204);
    const removed = await f.smtp.waitFor(email, /Se ha quitado un factor/);
    expect(removed.text).toContain('de tu cuenta de Cat House: una app de autenticación.');
    expect(removed.html).toContain('<html lang="es">');
    // Nothing of it went out in English.
    expect(f.smtp.mailsTo(email).filter((m) => /factor was|recovery code was/i.test(m.subject))).toEqual([]);
  });
});

describe('the words of a factor mail', () => {
  const mail = testConfig({}).mail;

  it('name a passkey by its name in the recipient\'s language, and follow the chain (es-MX -> es)', () => {
    const es = renderMail(mail, 'factor_removed', 'a@cathouse.example', { factor_kind: 'passkey', factor_name: 'MacBook <Pro>' }, undefined, 'es-MX');
    expect(es.subject).toBe('Se ha quitado un factor de inicio de sesión de tu cuenta');
    expect(es.text).toContain('de tu cuenta de Cat House: una llave de acceso (MacBook <Pro>).');
    expect(es.html).toContain('una llave de acceso (MacBook &#60;Pro&#62;).');
    const en = renderMail(mail, 'factor_added', 'a@cathouse.example', { factor_kind: 'passkey', factor_name: 'MacBook' }, undefined, null);
    expect(en.text).toContain('A sign-in factor was added to your Cat House account: a passkey (MacBook).');
  });

  it('a row queued before the words moved (English `factor`, no factor_kind) still names its factor', () => {
    const old = renderMail(mail, 'factor_added', 'a@cathouse.example', { factor: 'a passkey (Old phone)' }, undefined, null);
    expect(old.text).toContain('your Cat House account: a passkey (Old phone).');
  });

  it('the admin reset notice is in Spanish for a Spanish user', () => {
    const reset = renderMail(mail, 'factors_reset', 'a@cathouse.example', {}, undefined, 'es');
    expect(reset.subject).toBe('Se han restablecido tus segundos factores');
    expect(reset.html).toContain('<html lang="es">');
  });
});
