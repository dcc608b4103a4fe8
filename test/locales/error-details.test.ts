import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { ERROR_CODES } from '../../src/errors/error-codes';
import { loadDetailCatalogs } from '../../src/errors/localized-details';
import { useTestApp } from '../support/app';
import { register, uniqueEmail } from '../auth/helpers';

const api = (path: string) => `/api/v1/auth${path}`;

describe('error details in the language of Accept-Language; codes unchanged', () => {
  const t = useTestApp();

  it('a wrong password with Accept-Language es answers the same code with a Spanish detail and Content-Language', async () => {
    const email = uniqueEmail('es-error');
    await register(t.app, email);
    const res = await request(t.app).post(api('/login')).set('Accept-Language', 'es-ES,es;q=0.9').send({ email, password: 'not the password' });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_credentials', detail: 'El correo o la contraseña no son correctos.' });
    expect(res.headers['content-language']).toBe('es');
    expect(res.headers.vary).toMatch(/Accept-Language/);
  });

  it('English, another language without texts, or no header: the English detail', async () => {
    for (const header of ['en', 'fr-FR', undefined]) {
      const req = request(t.app).post(api('/register'));
      if (header) req.set('Accept-Language', header);
      const res = await req.send({ email: uniqueEmail('short'), password: 'short' });
      expect(res.body.error).toBe('weak_password');
      expect(res.body.detail).not.toMatch(/contraseña/);
      expect(res.headers['content-language']).toBeUndefined();
    }
  });

  it('every translated text belongs to an error code that exists', () => {
    const catalogs = loadDetailCatalogs();
    expect(catalogs.languages).toEqual(expect.arrayContaining(['en', 'es']));
    for (const code of Object.keys(ERROR_CODES)) if (catalogs.detail('es', code)) expect(ERROR_CODES).toHaveProperty(code);
    const es = JSON.parse(readFileSync(path.join(__dirname, '../../src/errors/locales/es.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(es).filter((k) => !k.startsWith('_') && !(k in ERROR_CODES))).toEqual([]);
  });
});
