import { acceptedLanguage, type LanguageRequest } from '../../language-negotiation';
import { pageLanguages, pageWords, type PageWords } from './page-words';

/**
 * The words of the pages the service renders (issue 30) in the request's language: Accept-Language
 * `es`, `es-MX`... gives Spanish, anything else (or no header) English. For Express's requests and
 * the OpenID provider's Koa contexts alike.
 */
export function pageWordsFor(req: LanguageRequest): PageWords {
  return pageWords(acceptedLanguage(req, pageLanguages()));
}

/** Says a page's language (Content-Language) and that it depends on Accept-Language (Vary, so caches keep them apart). Express's Response or Koa's context. */
export function setPageLanguage(res: { set(field: string, value: string): unknown; vary(field: string): unknown }, w: PageWords): void {
  res.set('content-language', w.language);
  res.vary('Accept-Language');
}
