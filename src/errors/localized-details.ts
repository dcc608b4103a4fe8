import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The `detail` of user-facing errors in other languages (issue 30): src/errors/locales/<tag>.json
 * maps an error code to its text; the English text is the one the code was thrown with. Codes
 * never change with the language, so clients keep branching on `error`.
 */
export interface DetailCatalogs {
  /** The languages with a file, plus en (the texts in the code). */
  readonly languages: readonly string[];
  /** The translated detail of `code` in `language`, if its file has one. */
  detail(language: string, code: string): string | undefined;
}

const DIR = path.join(__dirname, 'locales');

/** Reads every <tag>.json of the folder; throws naming the file when one is not an object of strings. */
export function loadDetailCatalogs(dir: string = DIR): DetailCatalogs {
  const files = new Map<string, Record<string, string>>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const where = path.join(dir, file);
    const raw = JSON.parse(readFileSync(where, 'utf8')) as unknown;
    if (!raw || typeof raw !== 'object' || Object.values(raw).some((v) => typeof v !== 'string')) throw new Error(`error locale ${where}: expected an object of code -> text`);
    files.set(file.slice(0, -'.json'.length), raw as Record<string, string>);
  }
  return {
    languages: ['en', ...files.keys()],
    detail: (language, code) => (code.startsWith('_') ? undefined : files.get(language)?.[code]),
  };
}
