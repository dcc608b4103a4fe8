import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { catWithPlayer, PlayerAgent, registerClient, startOidcStack, type OidcStack } from './support';

/**
 * The OpenID provider's pages in the browser's language (issue 30): Accept-Language es, es-MX...
 * gives the Spanish login, consent (scope words included) and error pages, with <html lang>,
 * Content-Language and Vary; the error box says the API's Spanish detail for its code. No header,
 * or a language there are no pages in (fr), gives English.
 */
let db: TestDatabase;
let stack: OidcStack;
let fixtures: DataSource;
const REDIRECT = 'https://cat.example/callback';
const SPANISH = { 'accept-language': 'es-ES,es;q=0.9' };

beforeAll(async () => {
  db = await createTestDatabase();
  fixtures = createRuntimeDataSource(db.url, testConfig().db);
  await fixtures.initialize();
  stack = await startOidcStack(db.url);
});
afterAll(async () => {
  await stack?.close();
  await fixtures?.destroy();
  await db?.drop();
});

/** A player of a cat whose app asks for openid and storage: the authorization URL the app would send them to. */
async function appAskingForStorage() {
  const f = await catWithPlayer(stack, fixtures, { asked: ['storage'], granted: ['storage'] });
  const { client_id } = await registerClient(stack, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${stack.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid cathouse:storage',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
  }).toString();
  return { email: f.player.email, url: url.href };
}

const lang = (page: string) => /<html lang="([^"]+)">/.exec(page)?.[1];
const errorBox = (page: string) => /<p class="error" role="alert" id="error" data-code="([^"]+)">([^<]*) <code>/.exec(page)?.slice(1);

it('shows the login and consent pages in Spanish to a browser that asks for es-ES', async () => {
  const { email, url } = await appAskingForStorage();
  const agent = new PlayerAgent(stack.url, SPANISH);
  await agent.follow(url);
  expect(agent.lastStatus).toBe(200);
  expect(lang(agent.lastPage)).toBe('es');
  expect(agent.lastHeaders.get('content-language')).toBe('es');
  expect(agent.lastHeaders.get('vary')).toMatch(/accept-language/i);
  expect(agent.lastPage).toContain('<h1>Inicia sesión con Cat House</h1>');
  expect(agent.lastPage).toContain('<label for="password-password">Contraseña</label>');
  expect(agent.lastPage).toContain('Cancelar y volver a la app');
  expect(agent.lastPage).not.toContain('Sign in with Cat House');

  await agent.signIn(email, 'not the password at all');
  expect(agent.lastStatus).toBe(401);
  expect(lang(agent.lastPage)).toBe('es');
  // The API's own Spanish detail for the code (src/errors/locales/es.json); the code stays as it is.
  expect(errorBox(agent.lastPage)).toEqual(['invalid_credentials', 'El correo o la contraseña no son correctos.']);

  await agent.signIn(email);
  expect(lang(agent.lastPage)).toBe('es');
  expect(agent.lastHeaders.get('content-language')).toBe('es');
  expect(agent.lastPage).toContain('Purr Web quiere usar tu cuenta de Cat House');
  expect(agent.lastPage).toContain('Saber quién eres en Cat House (un identificador estable)');
  expect(agent.lastPage).toContain('Guardar datos de tu instalación');
  expect(agent.lastPage).toContain('Necesario para iniciar tu sesión.');
  expect(agent.lastPage).toMatch(/<button class="primary" type="submit" id="allow">Permitir<\/button>/);
  expect(agent.lastPage).not.toContain('Store data for your installation');
  const done = await agent.consent({ allow: true });
  expect(done.callback).toMatch(/^https:\/\/cat\.example\/callback\?code=/);
});

it.each([
  ['no Accept-Language', {}],
  ['a language there are no pages in (fr)', { 'accept-language': 'fr-FR,fr;q=0.9' }],
])('shows the pages in English with %s', async (_what, headers: Record<string, string>) => {
  const { email, url } = await appAskingForStorage();
  const agent = new PlayerAgent(stack.url, headers);
  await agent.follow(url);
  expect(lang(agent.lastPage)).toBe('en');
  expect(agent.lastHeaders.get('content-language')).toBe('en');
  expect(agent.lastPage).toContain('<h1>Sign in with Cat House</h1>');
  await agent.signIn(email, 'not the password at all');
  expect(errorBox(agent.lastPage)).toEqual(['invalid_credentials', 'The email or password is wrong.']);
  await agent.signIn(email);
  expect(agent.lastPage).toContain('Purr Web wants to use your Cat House account');
  expect(agent.lastPage).toContain('Store data for your installation');
});

it('shows the provider error page in Spanish (an unknown app)', async () => {
  const agent = new PlayerAgent(stack.url, { 'accept-language': 'es-MX' });
  await agent.follow(`${stack.issuer}/auth?client_id=no-such-app&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}`);
  expect(agent.lastStatus).toBe(400);
  expect(lang(agent.lastPage)).toBe('es');
  expect(agent.lastHeaders.get('content-language')).toBe('es');
  expect(agent.lastPage).toContain('Esta app no está registrada en Cat House. <code>(invalid_client)</code>');
});
