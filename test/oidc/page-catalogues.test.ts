import { readdirSync } from 'node:fs';
import path from 'node:path';
import { loadPageCatalogs, pageWords } from '../../src/auth/oidc/pages/page-words';

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
