import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { MAIL_TEMPLATES, renderMail } from '../../src/auth/mail/messages';
import { fallbackChain, loadMailCatalogs } from '../../src/auth/mail/mail-locales';
import { testConfig } from '../support/env';
import { APP_URL, PASSWORD, api, useMailApp } from '../account/support';
import { bearer, uniqueEmail } from '../auth/helpers';

const placeholders = (s: string) => [...s.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]).sort();

describe('mail in the user\'s language, through a real SMTP server', () => {
  const m = useMailApp();
  const storedLocale = async (email: string) => ((await m.t.dataSource.query(`SELECT locale FROM auth.users WHERE email = $1`, [email])) as { locale: string | null }[])[0]?.locale;

  it('registration with locale es: the verification mail is in Spanish in its subject, text and HTML parts, with the link in both', async () => {
    const email = uniqueEmail('es');
    await request(m.t.app).post(api('/register')).send({ email, password: PASSWORD, locale: 'es' }).expect(201);
    const mail = await m.smtp.waitFor(email);
    expect(mail.subject).toBe('Confirma tu dirección de correo');
    expect(mail.text).toContain(`Confirma que ${email} es tu dirección en Cat House.`);
    expect(mail.text).toContain(`Confirmar mi correo: ${mail.link}`);
    expect(mail.link).toMatch(new RegExp(`^${APP_URL}/verify-email#token=`));
    expect(mail.html).toContain('<html lang="es">');
    expect(mail.html).toContain(`<a href="${mail.link}">Confirmar mi correo</a>`);
    expect(await storedLocale(email)).toBe('es');
  });

  it('without a locale, Accept-Language decides (es-MX matches es), and is stored', async () => {
    const email = uniqueEmail('accept');
    await request(m.t.app).post(api('/register')).set('Accept-Language', 'es-MX,es;q=0.9,en;q=0.5').send({ email, password: PASSWORD }).expect(201);
    expect((await m.smtp.waitFor(email)).subject).toBe('Confirma tu dirección de correo');
    expect(await storedLocale(email)).toBe('es');
  });

  it('a language there is no mail in falls back to the default (en), and stores nothing', async () => {
    const email = uniqueEmail('fr');
    await request(m.t.app).post(api('/register')).set('Accept-Language', 'fr-FR,fr;q=0.9').send({ email, password: PASSWORD }).expect(201);
    const mail = await m.smtp.waitFor(email);
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.html).toContain('<html lang="en">');
    expect(await storedLocale(email)).toBeNull();
  });

  it('a regional tag is kept as given and its mail falls back to the language (es-AR -> es)', async () => {
    const email = uniqueEmail('es-ar');
    await request(m.t.app).post(api('/register')).send({ email, password: PASSWORD, locale: 'es-AR' }).expect(201);
    expect((await m.smtp.waitFor(email)).subject).toBe('Confirma tu dirección de correo');
    expect(await storedLocale(email)).toBe('es-AR');
  });

  it('PATCH me sets and clears the locale; the mail that follows is in the language of the moment it is sent', async () => {
    const email = uniqueEmail('patch');
    const reg = await request(m.t.app).post(api('/register')).send({ email, password: PASSWORD }).expect(201);
    await m.smtp.waitFor(email, /Confirm your email/);
    const set = await request(m.t.app).patch(api('/me')).set(bearer(reg.body.access_token)).send({ locale: 'es' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ email, locale: 'es' });
    await request(m.t.app).post(api('/password/forgot')).send({ email }).expect(202);
    const reset = await m.smtp.waitFor(email, /Restablece tu contraseña/);
    expect(reset.text).toContain('Elegir una contraseña nueva: ');
    expect(reset.html).toContain('Elegir una contraseña nueva</a>');
    const cleared = await request(m.t.app).patch(api('/me')).set(bearer(reg.body.access_token)).send({ locale: null });
    expect(cleared.body.locale).toBeNull();
    await request(m.t.app).post(api('/password/forgot')).send({ email }).expect(202);
    await m.smtp.waitFor(email, /Reset your password/);
  });

  it('PATCH me refuses something that is not a language tag, naming the field', async () => {
    const reg = await request(m.t.app).post(api('/register')).send({ email: uniqueEmail('bad'), password: PASSWORD }).expect(201);
    const res = await request(m.t.app).patch(api('/me')).set(bearer(reg.body.access_token)).send({ locale: 'Spanish!' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request', invalid_params: [{ name: 'locale' }] });
  });
});

describe('the locale files a translator edits', () => {
  const catalogs = loadMailCatalogs();

  it('en and es exist, and every file has every template with exactly the placeholders of en', () => {
    expect([...catalogs.keys()].sort()).toEqual(expect.arrayContaining(['en', 'es']));
    const en = catalogs.get('en')!;
    for (const catalog of catalogs.values()) {
      // The factor mails' words need a key for each kind en names, with the same placeholders.
      expect({ locale: catalog.locale, factor_words: Object.keys(catalog.factor_words ?? {}).sort() }).toEqual({ locale: catalog.locale, factor_words: Object.keys(en.factor_words ?? {}).sort() });
      for (const [kind, words] of Object.entries(en.factor_words ?? {})) expect({ kind, placeholders: placeholders(catalog.factor_words?.[kind] ?? '') }).toEqual({ kind, placeholders: placeholders(words!) });
      for (const template of MAIL_TEMPLATES) {
        const words = catalog.templates[template];
        const base = en.templates[template]!;
        expect({ locale: catalog.locale, template, present: words !== undefined }).toEqual({ locale: catalog.locale, template, present: true });
        expect({ template, locale: catalog.locale, placeholders: placeholders([words!.subject, ...words!.paragraphs].join(' ')) }).toEqual({
          template,
          locale: catalog.locale,
          placeholders: placeholders([base.subject, ...base.paragraphs].join(' ')),
        });
        expect(words!.link_label === undefined).toBe(base.link_label === undefined);
      }
    }
  });

  it('the fallback chain goes from the region to the language, the default, then en', () => {
    expect(fallbackChain(catalogs, 'es-MX', 'en').map((c) => c.locale)).toEqual(['es', 'en']);
    expect(fallbackChain(catalogs, 'fr', 'es').map((c) => c.locale)).toEqual(['es', 'en']);
    expect(fallbackChain(catalogs, null, 'en').map((c) => c.locale)).toEqual(['en']);
  });

  it('MAIL_DEFAULT_LOCALE is the language of users without one; values are escaped in the HTML part only', () => {
    const mail = testConfig({ MAIL_DEFAULT_LOCALE: 'es' }).mail;
    const rendered = renderMail(mail, 'email_change_requested', 'a@cathouse.example', { new_email: '<b>x@cathouse.example</b>' }, undefined, null);
    expect(rendered.subject).toBe('Tu dirección de correo está a punto de cambiar');
    expect(rendered.text).toContain('a <b>x@cathouse.example</b>.');
    expect(rendered.html).toContain('a &#60;b&#62;x@cathouse.example&#60;/b&#62;.');
  });

  describe('a file with a mistake', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'mail-locales-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('stops the start naming the file, and a template missing in one language comes from the next', async () => {
      await writeFile(path.join(dir, 'en.json'), JSON.stringify({ signature: '-', another_address: 'x', templates: { password_changed: { subject: 'Changed', paragraphs: ['p'] } } }));
      await writeFile(path.join(dir, 'es.json'), JSON.stringify({ signature: '-', another_address: 'x', templates: {} }));
      const chain = fallbackChain(loadMailCatalogs(dir), 'es', 'en');
      expect(chain.find((c) => c.templates.password_changed)?.locale).toBe('en');
      await writeFile(path.join(dir, 'de.json'), '{ "signature": "-", ');
      expect(() => loadMailCatalogs(dir)).toThrow(`mail locale ${path.join(dir, 'de.json')}: not valid JSON`);
      await writeFile(path.join(dir, 'de.json'), JSON.stringify({ signature: '-', another_address: 'x', templates: { password_changed: { subject: 'Geändert' } } }));
      expect(() => loadMailCatalogs(dir)).toThrow('template password_changed needs "subject" and "paragraphs"');
    });
  });
});
