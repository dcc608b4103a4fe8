import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ERROR_PAGE_CODES } from '../../src/auth/oidc/pages/error-page';
import { loadPageCatalogs, PAGE_WORDED_CODES, pageWords } from '../../src/auth/oidc/pages/page-words';

/**
 * The pages' catalogues (src/auth/oidc/pages/locales, issue 30): every language has every key of
 * en.json and none it lacks (a stray key is a typo a translator would never see used), keeps each
 * text's {placeholders}, and a key a language lacks falls back to English.
 */
const DIR = path.join(__dirname, '../../src/auth/oidc/pages/locales');
const catalogs = loadPageCatalogs(DIR);
const english = catalogs.get('en')!;
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

it('has a file for English and Spanish at least', () => {
  expect(readdirSync(DIR).sort()).toEqual(expect.arrayContaining(['en.json', 'es.json']));
});

describe.each([...catalogs.keys()].filter((l) => l !== 'en'))('%s.json', (language) => {
  const catalog = catalogs.get(language)!;
  it('has every key of en.json and no other', () => {
    expect(Object.keys(catalog).sort()).toEqual(Object.keys(english).sort());
  });
  it('words every OAuth code of the error page and every API code the pages word themselves (the CAPTCHA refusals), not in English', () => {
    const keys = [...ERROR_PAGE_CODES.map((c) => `error_page.${c}`), ...[...PAGE_WORDED_CODES].map((c) => `error.${c}`), 'captcha.prompt', 'captcha.noscript'];
    expect(keys.filter((k) => !catalog[k])).toEqual([]);
    expect(keys.filter((k) => catalog[k] === english[k])).toEqual([]);
  });
  it('keeps every {placeholder} of each English text', () => {
    const differing = Object.keys(english).filter((k) => !k.startsWith('_') && JSON.stringify(placeholders(catalog[k] ?? '')) !== JSON.stringify(placeholders(english[k]!)));
    expect(differing).toEqual([]);
  });
});

it('falls back to English for a key a language lacks, and to English for an unknown language', () => {
  const es = pageWords('es');
  expect(es.t('login.heading')).toBe('Inicia sesión con Cat House');
  expect(es.or('step.no-such-step.title', 'A step of its own')).toBe('A step of its own');
  expect(pageWords('fr').language).toBe('en');
  expect(pageWords('fr').t('login.heading')).toBe('Sign in with Cat House');
});

it('has English words for every OAuth code of the error page and every CAPTCHA refusal', () => {
  const keys = [...ERROR_PAGE_CODES.map((c) => `error_page.${c}`), ...[...PAGE_WORDED_CODES].map((c) => `error.${c}`), 'captcha.prompt'];
  expect(keys.filter((k) => !english[k])).toEqual([]);
});

it("words the CAPTCHA's refusals with the pages' own text in every language, not the API's detail (which speaks of a token field)", () => {
  const raised = { code: 'captcha_required', message: 'Solve the CAPTCHA (captcha_token) to continue.' };
  expect(pageWords('es').error(raised)).toBe(catalogs.get('es')!['error.captcha_required']);
  expect(pageWords('en').error(raised)).toBe(english['error.captcha_required']);
  // Any other code: the message raised in English, the API's translated detail in Spanish, as before.
  expect(pageWords('en').error({ code: 'invalid_credentials', message: 'The email or password is wrong.' })).toBe('The email or password is wrong.');
  expect(pageWords('es').error({ code: 'invalid_credentials', message: 'The email or password is wrong.' })).toBe('El correo o la contraseña no son correctos.');
});
