/** What negotiation needs of a request: Express's Request and Koa's context (the OpenID provider's pages) both have it. */
export interface LanguageRequest {
  get(field: string): string | undefined;
  acceptsLanguages(languages: string[]): string | false;
}

/**
 * The best of `languages` for the request's Accept-Language, or null when the header is absent or
 * names none of them. Express's and Koa's negotiation (the `negotiator` package) take q-values and
 * match es-MX to es; without a header it would answer the first offered language, which is no
 * choice of the user's, so that case is null.
 */
export function acceptedLanguage(req: LanguageRequest, languages: readonly string[]): string | null {
  const header = req.get('accept-language');
  if (!header || header.trim() === '*') return null;
  const best = req.acceptsLanguages([...languages]);
  return typeof best === 'string' ? best : null;
}
