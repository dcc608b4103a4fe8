import type { Request } from 'express';
import { acceptedLanguage } from '../../auth/language-negotiation';
import { availableLocales, loadMailCatalogs } from '../../auth/mail/mail-locales';

let offered: string[] | undefined;

/** The best language of the request's Accept-Language among those there is mail in (issue 30), or null. */
export function acceptedMailLocale(req: Request): string | null {
  offered ??= availableLocales(loadMailCatalogs());
  return acceptedLanguage(req, offered);
}
