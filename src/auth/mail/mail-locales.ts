import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The words of one mail in one language: its subject, its paragraphs and the label of its link. */
export interface TemplateText {
  subject: string;
  paragraphs: string[];
  link_label?: string;
}

/** One language's file (src/auth/mail/locales/<tag>.json). */
export interface MailCatalog {
  locale: string;
  signature: string;
  another_address: string;
  /** How the factor mails name a factor (passkey, totp, other), with `{name}` for a passkey's name. */
  factor_words?: Record<string, string | undefined>;
  templates: Record<string, TemplateText | undefined>;
}

/** The language every chain ends with: its file has every template (a test holds it to that). */
export const BASE_LOCALE = 'en';

const LOCALES_DIR = path.join(__dirname, 'locales');

function isTemplateText(v: unknown): v is TemplateText {
  const t = v as TemplateText;
  return (
    typeof t === 'object' && t !== null && typeof t.subject === 'string' && Array.isArray(t.paragraphs) && t.paragraphs.every((p) => typeof p === 'string') && (t.link_label === undefined || typeof t.link_label === 'string')
  );
}

/**
 * Reads every `<tag>.json` of the locales folder, keyed by the lower-cased tag. Throws, naming the
 * file, when one is not the shape a catalog has: a translator's slip stops the start, not a mail.
 */
export function loadMailCatalogs(dir: string = LOCALES_DIR): ReadonlyMap<string, MailCatalog> {
  const catalogs = new Map<string, MailCatalog>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const locale = file.slice(0, -'.json'.length);
    const where = path.join(dir, file);
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(readFileSync(where, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`mail locale ${where}: not valid JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
    const templates = raw.templates as Record<string, unknown> | undefined;
    if (typeof raw.signature !== 'string' || typeof raw.another_address !== 'string' || typeof templates !== 'object' || templates === null) {
      throw new Error(`mail locale ${where}: expected "signature", "another_address" and "templates" (see en.json)`);
    }
    const factorWords = raw.factor_words as Record<string, unknown> | undefined;
    if (factorWords !== undefined && (typeof factorWords !== 'object' || factorWords === null || !Object.values(factorWords).every((w) => typeof w === 'string'))) {
      throw new Error(`mail locale ${where}: "factor_words" must map factor kinds to strings, as in en.json`);
    }
    for (const [name, text] of Object.entries(templates)) {
      if (!isTemplateText(text)) throw new Error(`mail locale ${where}: template ${name} needs "subject" and "paragraphs" (strings), as in en.json`);
    }
    catalogs.set(locale.toLowerCase(), { locale, signature: raw.signature, another_address: raw.another_address, ...(factorWords && { factor_words: factorWords as Record<string, string> }), templates: templates as MailCatalog['templates'] });
  }
  if (!catalogs.has(BASE_LOCALE)) throw new Error(`mail locale: ${path.join(dir, `${BASE_LOCALE}.json`)} is missing; every fallback chain ends with it`);
  return catalogs;
}

/**
 * The languages to try for a user, most specific first: the user's tag and its shorter forms
 * (es-MX, es), then the default and its shorter forms, then en, keeping only those with a file.
 */
export function fallbackChain(catalogs: ReadonlyMap<string, MailCatalog>, locale: string | null | undefined, defaultLocale: string): MailCatalog[] {
  const tags: string[] = [];
  for (const tag of [locale, defaultLocale, BASE_LOCALE]) {
    if (!tag) continue;
    const parts = tag.toLowerCase().split('-');
    for (let n = parts.length; n > 0; n -= 1) tags.push(parts.slice(0, n).join('-'));
  }
  return [...new Set(tags)].flatMap((tag) => {
    const catalog = catalogs.get(tag);
    return catalog ? [catalog] : [];
  });
}

/** The language tags there are mail files for, as written in their file names (for Accept-Language negotiation). */
export function availableLocales(catalogs: ReadonlyMap<string, MailCatalog>): string[] {
  return [...catalogs.values()].map((c) => c.locale);
}
