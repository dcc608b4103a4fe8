import request from 'supertest';
import { mailLink } from '../../src/auth/mail/messages';
import { parseConfig } from '../../src/config/config';
import { bearer, register, uniqueEmail } from '../auth/helpers';
import { pollUntil } from '../support/poll';
import { api, APP_URL, auditTypes, claims, login, useMailApp } from './support';

describe('email verification', () => {
  const m = useMailApp();

  it('registration stores the email unverified and mails a link; POST verify-email with its token verifies it (in /me and the access token)', async () => {
    const email = uniqueEmail('verify');
    const reg = await register(m.t.app, email);
    expect(claims(reg.access_token).email_verified).toBe(false);
    expect((await request(m.t.app).get(api('/me')).set(bearer(reg.access_token))).body.email_verified).toBe(false);

    const mail = await m.smtp.waitFor(email, /Confirm your email/);
    expect(mail.link).toBe(`${APP_URL}/verify-email#token=${mail.token}`);
    const res = await request(m.t.app).post(api('/verify-email')).send({ token: mail.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ email, email_verified: true });

    expect((await request(m.t.app).get(api('/me')).set(bearer(reg.access_token))).body.email_verified).toBe(true);
    const refreshed = await request(m.t.app).post(api('/refresh')).send({ refresh_token: reg.refresh_token });
    expect(claims(refreshed.body.access_token).email_verified).toBe(true);
    expect(claims((await login(m, email)).body.access_token).email_verified).toBe(true);
    expect(await auditTypes(m, reg.user.id)).toContain('email_verified');
  });

  it('the token is spent only by POST: a GET of the endpoint (a mail scanner) is refused and leaves the token usable', async () => {
    const email = uniqueEmail('scanner');
    await register(m.t.app, email);
    const mail = await m.smtp.waitFor(email, /Confirm your email/);
    const get = await request(m.t.app).get(`${api('/verify-email')}?token=${mail.token}`);
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect((await request(m.t.app).post(api('/verify-email')).send({ token: mail.token })).status).toBe(200);
  });

  it('a used token is refused (single use)', async () => {
    const email = uniqueEmail('reused');
    await register(m.t.app, email);
    const { token } = await m.smtp.waitFor(email, /Confirm your email/);
    expect((await request(m.t.app).post(api('/verify-email')).send({ token })).status).toBe(200);
    const again = await request(m.t.app).post(api('/verify-email')).send({ token });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('link_invalid');
  });

  it('an expired token is refused', async () => {
    const email = uniqueEmail('expired');
    const reg = await register(m.t.app, email);
    const { token } = await m.smtp.waitFor(email, /Confirm your email/);
    await m.t.dataSource.query(`UPDATE auth.account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [reg.user.id]);
    const res = await request(m.t.app).post(api('/verify-email')).send({ token });
    expect(res.body.error).toBe('link_invalid');
    expect((await request(m.t.app).get(api('/me')).set(bearer(reg.access_token))).body.email_verified).toBe(false);
  });

  it('foreign tokens are refused: made up, malformed, or a reset token on the verification page', async () => {
    const email = uniqueEmail('foreign');
    await register(m.t.app, email);
    await request(m.t.app).post(api('/password/forgot')).send({ email });
    const reset = await m.smtp.waitFor(email, /Reset your password/);
    for (const token of ['A'.repeat(43), 'not a token', reset.token!]) {
      const res = await request(m.t.app).post(api('/verify-email')).send({ token });
      expect({ token, status: res.status, error: res.body.error }).toEqual({ token, status: 400, error: 'link_invalid' });
    }
    const verify = await m.smtp.waitFor(email, /Confirm your email/);
    const misused = await request(m.t.app).post(api('/password/reset')).send({ token: verify.token, password: 'a brand new passphrase' });
    expect(misused.body.error).toBe('link_invalid');
  });

  it('resend sends a new link and the old one stops working; an address already verified gets 409 already_verified', async () => {
    const email = uniqueEmail('resend');
    const reg = await register(m.t.app, email);
    const first = await m.smtp.waitFor(email, /Confirm your email/);
    const resend = await request(m.t.app).post(api('/verify-email/resend')).set(bearer(reg.access_token));
    expect(resend.status).toBe(202);
    const second = await pollUntil('the second verification mail', () => m.smtp.mailsTo(email).filter((x) => /Confirm your email/.test(x.subject))[1]);
    expect(second.token).not.toBe(first.token);
    expect((await request(m.t.app).post(api('/verify-email')).send({ token: first.token })).body.error).toBe('link_invalid');
    expect((await request(m.t.app).post(api('/verify-email')).send({ token: second.token })).status).toBe(200);
    const late = await request(m.t.app).post(api('/verify-email/resend')).set(bearer(reg.access_token));
    expect(late.status).toBe(409);
    expect(late.body.error).toBe('already_verified');
    expect((await request(m.t.app).post(api('/verify-email/resend'))).status).toBe(401);
  });
});

describe('mail links', () => {
  it('point at APP_URL + the page path, with the token in the fragment (default) or the query', () => {
    const fragment = parseConfig({ APP_URL: 'https://app.example.com/base/' }).mail;
    expect(mailLink(fragment, 'reset', 'abc')).toBe('https://app.example.com/base/reset-password#token=abc');
    const query = parseConfig({ APP_URL: 'https://app.example.com', MAIL_LINK_TOKEN_IN: 'query', APP_VERIFY_EMAIL_PATH: '/account/verify' }).mail;
    expect(mailLink(query, 'verify', 'abc')).toBe('https://app.example.com/account/verify?token=abc');
  });
});
