import request from 'supertest';
import { APP_URL, PASSWORD, api, useMailApp } from '../account/support';
import { uniqueEmail } from '../auth/helpers';

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const FIREFOX_LINUX_NEWER = 'Mozilla/5.0 (X11; Linux x86_64; rv:134.0) Gecko/20100101 Firefox/134.0';
const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('new-device notice (NEW_DEVICE_NOTICE=on), through a real SMTP server', () => {
  // TRUST_PROXY=loopback: the tests choose the client's address with X-Forwarded-For.
  const m = useMailApp({ NEW_DEVICE_NOTICE: 'on', TRUST_PROXY: 'loopback' });

  const registerFrom = async (email: string, ua: string, ip: string, extra: Record<string, unknown> = {}) =>
    request(m.t.app).post(api('/register')).set('User-Agent', ua).set('X-Forwarded-For', ip).send({ email, password: PASSWORD, ...extra }).expect(201);
  const loginFrom = (email: string, ua: string, ip: string) =>
    request(m.t.app).post(api('/login')).set('User-Agent', ua).set('X-Forwarded-For', ip).send({ email, password: PASSWORD }).expect(200);
  const notices = async (email: string) =>
    Number(((await m.t.dataSource.query(`SELECT count(*)::int AS n FROM auth.mail_outbox o JOIN auth.users u ON u.id = o.user_id WHERE u.email = $1 AND o.template = 'new_device_signin'`, [email])) as { n: number }[])[0]!.n);

  it('the same browser family (another version) from the same /24 sends nothing', async () => {
    const email = uniqueEmail('same');
    await registerFrom(email, FIREFOX_LINUX, '203.0.113.5');
    await loginFrom(email, FIREFOX_LINUX_NEWER, '203.0.113.77');
    expect(await notices(email)).toBe(0);
  });

  it('another browser family mails a notice naming it and the address, whose reset link ends every session; audited', async () => {
    const email = uniqueEmail('chrome');
    const reg = await registerFrom(email, FIREFOX_LINUX, '203.0.113.5');
    await loginFrom(email, CHROME_WINDOWS, '203.0.113.6');
    const mail = await m.smtp.waitFor(email, /New sign-in/);
    expect(mail.text).toContain('Chrome, Windows, from the address 203.0.113.6');
    expect(mail.link).toMatch(new RegExp(`^${APP_URL}/reset-password#token=`));
    expect(mail.html).toContain('This was not me: reset my password</a>');
    const events = (await m.t.dataSource.query(`SELECT detail FROM auth.audit_events WHERE user_id = $1 AND type = 'new_device_notified'`, [reg.body.user.id])) as { detail: unknown }[];
    expect(events).toEqual([{ detail: { browser: 'Chrome', os: 'Windows' } }]);
    await request(m.t.app).post(api('/password/reset')).send({ token: mail.token, password: 'a brand new password' }).expect(204);
    expect((await request(m.t.app).post(api('/refresh')).send({ refresh_token: reg.body.refresh_token })).status).toBe(400);
  });

  it('the same browser from another network mails a notice; once seen, that pair sends no more', async () => {
    const email = uniqueEmail('network');
    await registerFrom(email, FIREFOX_LINUX, '203.0.113.5');
    await loginFrom(email, FIREFOX_LINUX, '198.51.100.9');
    expect(await notices(email)).toBe(1);
    await loginFrom(email, FIREFOX_LINUX, '198.51.100.10');
    expect(await notices(email)).toBe(1);
  });

  it('IPv6: another /48 is a new network, another address in the same /48 is not', async () => {
    const email = uniqueEmail('v6');
    await registerFrom(email, FIREFOX_LINUX, '2001:db8:1:1::5');
    await loginFrom(email, FIREFOX_LINUX, '2001:db8:1:2::7');
    expect(await notices(email)).toBe(0);
    await loginFrom(email, FIREFOX_LINUX, '2001:db8:2::1');
    expect(await notices(email)).toBe(1);
  });

  it('the notice is in the user\'s language', async () => {
    const email = uniqueEmail('es');
    await registerFrom(email, FIREFOX_LINUX, '203.0.113.5', { locale: 'es' });
    await loginFrom(email, CHROME_WINDOWS, '192.0.2.1');
    const mail = await m.smtp.waitFor(email, /Nuevo inicio de sesión/);
    expect(mail.text).toContain('No fui yo: restablecer mi contraseña: ');
  });
});
