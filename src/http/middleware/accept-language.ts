import type { Request } from 'express';
import { availableLocales, loadMailCatalogs } from '../../auth/mail/mail-locales';

let offered: string[] | undefined;

/**
 * The best language of the request's Accept-Language among those there is mail in (issue 30),
 * or null when the header is absent or names none of them. Express's negotiation (the
 * `negotiator` package) takes q-values and matches es-MX to es; without a header it would answer
 * the first offered language, which is no choice of the user's, so that case is null.
 */
export function acceptedMailLocale(req: Request): string | null {
  const header = req.get('accept-language');
  if (!header || header.trim() === '*') return null;
  offered ??= availableLocales(loadMailCatalogs());
  const best = req.acceptsLanguages(offered);
  return typeof best === 'string' ? best : null;
}
