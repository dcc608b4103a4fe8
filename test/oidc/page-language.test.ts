import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createRuntimeDataSource } from '../../src/db/runtime-data-source';
import { startSiteverifyServer, type LocalServer } from '../support/abuse-servers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';
import { errorPage, ERROR_PAGE_CODES } from '../../src/auth/oidc/pages/error-page';
import { pageWords } from '../../src/auth/oidc/pages/page-words';
import { catWithPlayer, PASSWORD, PlayerAgent, registerClient, startOidcStack, type OidcStack } from './support';

/**
 * The OpenID provider's pages in the browser's language (issue 30): Accept-Language es, es-MX...
 * gives the Spanish login, consent (scope words included) and error pages, with <html lang>,
 * Content-Language and Vary; the error box says the API's Spanish detail for its code. The error
 * page words the OAuth code (not oidc-provider's English description), and the login CAPTCHA's
 * prompt and refusals are the pages' own Spanish words. No header, or a language there are no
 * pages in (fr), gives English.
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
async function appAskingForStorage(on: OidcStack = stack) {
  const f = await catWithPlayer(on, fixtures, { asked: ['storage'], granted: ['storage'] });
  const { client_id } = await registerClient(on, f.developer.token, { cat_id: f.catId, client_name: 'Purr Web', redirect_uris: [REDIRECT] });
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${on.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid cathouse:storage',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
  }).toString();
  return { email: f.player.email, url: url.href, clientId: client_id };
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

const note = (page: string) => /<p class="note"( lang="en")?>([^<]*)<\/p>/.exec(page)?.slice(1);

it('shows the provider error page in Spanish (an unknown app), without the library\'s English description', async () => {
  const agent = new PlayerAgent(stack.url, { 'accept-language': 'es-MX' });
  await agent.follow(`${stack.issuer}/auth?client_id=no-such-app&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}`);
  expect(agent.lastStatus).toBe(400);
  expect(lang(agent.lastPage)).toBe('es');
  expect(agent.lastHeaders.get('content-language')).toBe('es');
  expect(agent.lastPage).toContain('Esta app no está registrada en Cat House. <code>(invalid_client)</code>');
  expect(note(agent.lastPage)).toBeUndefined();

  // In English the library's description stays under the words: it names what was wrong.
  const english = new PlayerAgent(stack.url);
  await english.follow(`${stack.issuer}/auth?client_id=no-such-app&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}`);
  expect(english.lastPage).toContain('This app is not registered with Cat House. <code>(invalid_client)</code>');
  expect(note(english.lastPage)).toEqual([undefined, 'client is invalid']);
});

it('shows the error page of a redirect_uri that differs by one character, and of an expired sign-in, in Spanish', async () => {
  const { url } = await appAskingForStorage();
  const agent = new PlayerAgent(stack.url, SPANISH);
  const wrongRedirect = new URL(url);
  wrongRedirect.searchParams.set('redirect_uri', `${REDIRECT}x`);
  await agent.follow(wrongRedirect.href);
  expect(agent.lastStatus).toBe(400);
  expect(errorBox(agent.lastPage)).toEqual(['invalid_redirect_uri', 'Esta app pidió volver a una dirección que no ha registrado.']);
  expect(agent.lastPage).not.toMatch(/redirect_uri did not match/i);

  // Coming back to a finished or expired sign-in (the back button): the library's session_not_found
  // has the protocol's code invalid_request, shown as it is, and "authorization request has expired" only in English.
  await agent.follow(`${stack.issuer}/auth/no-such-interaction`);
  expect(agent.lastStatus).toBe(400);
  expect(errorBox(agent.lastPage)).toEqual(['invalid_request', 'La app envió una solicitud que Cat House no puede aceptar.']);
  expect(note(agent.lastPage)).toBeUndefined();
});

it("words every OAuth code a player may see on the error page in Spanish; an unknown one falls back to the library's English description, marked as English", () => {
  for (const code of ERROR_PAGE_CODES) {
    const page = errorPage({ error: code, error_description: 'the library says so' }, pageWords('es'));
    expect(errorBox(page)?.[0]).toBe(code);
    expect(errorBox(page)?.[1]).toBe(pageWords('es').t(`error_page.${code}`));
    expect(errorBox(page)?.[1]).not.toBe(pageWords('en').t(`error_page.${code}`));
    expect(note(page)).toBeUndefined();
  }
  const unknown = errorPage({ error: 'some_new_error', error_description: 'something new went wrong' }, pageWords('es'));
  expect(errorBox(unknown)).toEqual(['some_new_error', 'No se puede completar la solicitud.']);
  expect(note(unknown)).toEqual([' lang="en"', 'something new went wrong']);
});

describe('the CAPTCHA on the login page in Spanish', () => {
  const SECRET = '0x4AAAAAAAlanguagesecret';
  const SITE_KEY = '0x4AAAAAAAlanguagesitekey';
  let siteverify: LocalServer & { issue(t: { hostname: string; action?: string }): string };
  let guarded: OidcStack;
  beforeAll(async () => {
    siteverify = await startSiteverifyServer(SECRET);
    guarded = await startOidcStack(db.url, {
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SECRET: SECRET,
      CAPTCHA_SITE_KEY: SITE_KEY,
      CAPTCHA_VERIFY_URL: siteverify.url,
      CAPTCHA_HOSTNAMES: 'login.cathouse.example',
      CAPTCHA_REQUIRED_FOR: 'login',
      CAPTCHA_LOGIN_AFTER_FAILURES: '0',
    });
  });
  afterAll(async () => {
    await guarded?.close();
    await siteverify?.close();
  });

  it('asks in Spanish, and says in Spanish what to do when the check is missing or refused (the code unchanged)', async () => {
    const { email, url } = await appAskingForStorage(guarded);
    const agent = new PlayerAgent(guarded.url, SPANISH);
    await agent.follow(url);
    expect(agent.lastPage).toContain(
      '<p class="note" id="captcha-prompt">Demuestra que eres una persona: completa la comprobación de abajo y después inicia sesión.</p>',
    );
    expect(agent.lastPage).toContain(`<div class="cf-turnstile" id="captcha" data-sitekey="${SITE_KEY}" data-action="login"></div>`);
    expect(agent.lastPage).toContain('Esta comprobación necesita JavaScript');
    expect(agent.lastPage).not.toContain('Show you are a person');

    await agent.signIn(email);
    expect(agent.lastStatus).toBe(400);
    expect(errorBox(agent.lastPage)).toEqual([
      'captcha_required',
      'Demasiados intentos fallidos: completa la comprobación para demostrar que eres una persona y vuelve a iniciar sesión.',
    ]);
    const { action, fields } = agent.form('password-form');
    const otherAction = siteverify.issue({ hostname: 'login.cathouse.example', action: 'register' });
    await agent.follow(action, { form: { ...fields, email, password: PASSWORD, 'cf-turnstile-response': otherAction } });
    expect(errorBox(agent.lastPage)).toEqual([
      'captcha_failed',
      'No se aceptó la comprobación (cada una sirve una sola vez): complétala de nuevo y después inicia sesión.',
    ]);
  });

  it('asks in English to a browser without Accept-Language', async () => {
    const { email, url } = await appAskingForStorage(guarded);
    const agent = new PlayerAgent(guarded.url);
    await agent.follow(url);
    expect(agent.lastPage).toContain('<p class="note" id="captcha-prompt">Show you are a person: complete the check below, then sign in.</p>');
    await agent.signIn(email);
    expect(errorBox(agent.lastPage)).toEqual(['captcha_required', 'Too many failed sign-ins: complete the check to show you are a person, then sign in again.']);
  });
});
