/**
 * The /device page in the browser's language (issue 30): Accept-Language es-ES gives every step in
 * Spanish with <html lang="es">, Content-Language and Vary, the page's own errors and the API's
 * Spanish detail in the error box; no header, or fr, gives English.
 */
import request from 'supertest';
import { registerDeveloper, uniqueEmail } from '../auth/helpers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { DevicePageAgent, listen, PASSWORD, type Listening } from './support';

let db: TestDatabase;
let stack: Listening;

beforeAll(async () => {
  db = await createTestDatabase();
  stack = await listen(db.url);
});
afterAll(async () => {
  await stack?.close();
  await db?.drop();
});

async function startLogin(): Promise<string> {
  const res = await request(stack.t.app).post('/api/v1/auth/device_authorization').type('form').send({ client_id: 'cathouse-cli' });
  expect(res.status).toBe(200);
  return (res.body as { user_code: string }).user_code;
}

const lang = (page: string) => /<html lang="([^"]+)">/.exec(page)?.[1];
const errorText = (page: string) => /id="error" data-code="[^"]+">([^<]*) <code>/.exec(page)?.[1];

it('walks a Spanish-speaking developer through /device in Spanish', async () => {
  const email = uniqueEmail('dev');
  await registerDeveloper(stack.t, email, PASSWORD);
  const userCode = await startLogin();
  const agent = new DevicePageAgent(stack.url, { 'accept-language': 'es-ES,es;q=0.9' });

  await agent.get('/device');
  expect(lang(agent.page)).toBe('es');
  expect(agent.headers.get('content-language')).toBe('es');
  expect(agent.headers.get('vary')).toMatch(/accept-language/i);
  expect(agent.page).toContain('<h1>Conectar un dispositivo</h1>');
  expect(agent.page).toContain('<label for="user_code">Código</label>');

  await agent.submit('/device', { user_code: 'BBBB-BBBB' });
  expect(agent.errorCode()).toBe('invalid_user_code');
  expect(errorText(agent.page)).toBe('Ningún dispositivo espera este código. Compruébalo con el de tu terminal.');

  await agent.submit('/device', { user_code: userCode });
  expect(agent.page).toContain('<h1>Inicia sesión para conectar un dispositivo</h1>');
  expect(agent.page).toContain('<dt>Dispositivo</dt>');
  await agent.submit('/device/sign-in/password', { user_code: userCode, email, password: 'not the password at all' });
  expect(agent.errorCode()).toBe('invalid_credentials');
  expect(errorText(agent.page)).toBe('El correo o la contraseña no son correctos.');

  await agent.submit('/device/sign-in/password', { user_code: userCode, email, password: PASSWORD });
  expect(lang(agent.page)).toBe('es');
  expect(agent.page).toContain('<h1>¿Permitir este dispositivo?</h1>');
  expect(agent.page).toContain('id="approve">Permitir</button>');
  await agent.submit('/device/decision', { user_code: userCode, decision: 'approve' });
  expect(agent.page).toContain('<h1 id="done" data-decision="approve">Dispositivo conectado</h1>');
});

it.each([
  ['no Accept-Language', {}],
  ['a language there are no pages in (fr)', { 'accept-language': 'fr' }],
])('shows /device in English with %s', async (_what, headers: Record<string, string>) => {
  const agent = new DevicePageAgent(stack.url, headers);
  await agent.get('/device');
  expect(lang(agent.page)).toBe('en');
  expect(agent.headers.get('content-language')).toBe('en');
  expect(agent.page).toContain('<h1>Connect a device</h1>');
  await agent.submit('/device', { user_code: 'BBBB-BBBB' });
  expect(errorText(agent.page)).toBe('No device is waiting for this code. Check it against your terminal.');
});
