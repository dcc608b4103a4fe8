import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadDetailCatalogs, type DetailCatalogs } from '../../../errors/localized-details';

/**
 * The words of the pages the service renders itself (issue 30): the OpenID provider's login,
 * second-factor, consent, error and logout pages and the CLI's /device page. One file per
 * language, pages/locales/<tag>.json, one key per text; English (en.json) is the fallback for a
 * key a language lacks. An error box shows the API's translated `detail` for its code
 * (src/errors/locales, the same catalogue problem+json uses) or the page's own text for a code of
 * the pages (its `key`), else the English message it was raised with.
 */
export interface PageWords {
  /** The page's language, for <html lang> and Content-Language. */
  readonly language: string;
  /** The text of `key` with its {placeholders} filled (each value escaped by the caller's markup). */
  t(key: string, values?: Record<string, string>): string;
  /** The text of `key` in this language, or `fallback` (a sign-in module's own English words) when no file has it. */
  or(key: string, fallback: string): string;
  /** What an error box says: the pages' own text for it (`key`, or a code the pages word themselves); else in English the message raised, otherwise the code's translated detail, if there is one. */
  error(e: PageError): string;
}

/** An error shown in a page's error box: its stable code, the English message, and the catalogue key of a text of the pages' own. */
export interface PageError {
  code: string;
  message: string;
  key?: string | undefined;
}

/** An error whose words are the pages' own (`key` in the catalogue), with its English text as the message. */
export function pageError(code: string, key: string): PageError {
  return { code, key, message: ENGLISH.t(key) };
}

/**
 * API error codes the pages word themselves (`error.<code>`), in every language, whichever route
 * shows them: the API's detail for the CAPTCHA's refusals speaks of a token field, which a player on
 * a page never sees, so the page says what to do with the widget instead.
 */
export const PAGE_WORDED_CODES: ReadonlySet<string> = new Set(['captcha_required', 'captcha_failed', 'captcha_unavailable']);

export const BASE_LANGUAGE = 'en';
const DIR = path.join(__dirname, 'locales');

type Catalog = Record<string, string>;
let catalogs: ReadonlyMap<string, Catalog> | undefined;
let details: DetailCatalogs | undefined;

/** Reads every <tag>.json of the folder; throws naming the file when one is not an object of strings. */
export function loadPageCatalogs(dir: string = DIR): ReadonlyMap<string, Catalog> {
  const out = new Map<string, Catalog>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const where = path.join(dir, file);
    const raw = JSON.parse(readFileSync(where, 'utf8')) as unknown;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw) || Object.values(raw).some((v) => typeof v !== 'string')) {
      throw new Error(`page locale ${where}: expected an object of key -> text`);
    }
    out.set(file.slice(0, -'.json'.length), raw as Catalog);
  }
  if (!out.has(BASE_LANGUAGE)) throw new Error(`page locales ${dir}: ${BASE_LANGUAGE}.json is missing (it is every key's fallback)`);
  return out;
}

/** The languages the pages are written in (en first), for Accept-Language negotiation. */
export function pageLanguages(): string[] {
  catalogs ??= loadPageCatalogs();
  return [BASE_LANGUAGE, ...[...catalogs.keys()].filter((l) => l !== BASE_LANGUAGE)];
}

const fill = (text: string, values: Record<string, string> = {}) => text.replace(/\{(\w+)\}/g, (all, name: string) => values[name] ?? all);

/** The words of `language` (one of pageLanguages(); anything else is English). */
export function pageWords(language: string | null | undefined): PageWords {
  catalogs ??= loadPageCatalogs();
  const base = catalogs.get(BASE_LANGUAGE)!;
  const lang = language && catalogs.has(language) ? language : BASE_LANGUAGE;
  const own = catalogs.get(lang)!;
  const lookup = (key: string) => (key.startsWith('_') ? undefined : (own[key] ?? base[key]));
  return {
    language: lang,
    t: (key, values) => fill(lookup(key) ?? key, values),
    or: (key, fallback) => lookup(key) ?? fallback,
    error({ code, message, key }) {
      const wordedBy = key ?? (PAGE_WORDED_CODES.has(code) ? `error.${code}` : undefined);
      const pages = wordedBy ? lookup(wordedBy) : undefined;
      if (pages) return pages;
      if (lang === BASE_LANGUAGE) return message;
      details ??= loadDetailCatalogs();
      return details.detail(lang, code) ?? message;
    },
  };
}

/** English: the words of a page built where no request says otherwise. */
export const ENGLISH: PageWords = pageWords(BASE_LANGUAGE);
