import { escape, page, words } from './layout';
import { BASE_LANGUAGE, ENGLISH, type PageWords } from './page-words';

/**
 * The provider's error page (its `renderError`): shown when the authorization request cannot be
 * answered by a redirect to the client (an unknown client, a redirect_uri that is not registered
 * exactly, an expired interaction). The OAuth error code stays visible, in words first (the
 * catalogue's `error_page.<code>`, in the page's language). Only this HTML page is translated: the
 * JSON and redirect answers keep the library's codes and descriptions, which are for programs.
 */

/** The OAuth error codes a player can meet on this page, each with words of its own in every catalogue (error_page.<code>). */
export const ERROR_PAGE_CODES: readonly string[] = [
  'invalid_request',
  'invalid_client',
  'invalid_redirect_uri',
  'invalid_grant',
  'access_denied',
  'login_required',
  'consent_required',
  'interaction_required',
  'account_selection_required',
  'invalid_scope',
  'unauthorized_client',
  'unsupported_response_type',
  'unsupported_response_mode',
  'invalid_request_object',
  'invalid_request_uri',
  'request_not_supported',
  'request_uri_not_supported',
  'invalid_target',
  'unmet_authentication_requirements',
  'session_not_found',
  'temporarily_unavailable',
  'server_error',
];
const WORDED = new Set(ERROR_PAGE_CODES);

export interface ErrorPageModel {
  error?: string | undefined;
  /** oidc-provider's description: English, for a developer (it names the parameter at fault). */
  error_description?: string | undefined;
  /** A description of the service's own, already in the page's language: shown as it is. */
  note?: string | undefined;
}

export function errorPage(out: ErrorPageModel, w: PageWords = ENGLISH): string {
  const code = out.error ?? 'server_error';
  const worded = WORDED.has(code);
  // The library's English description is shown on an English page, and on another only where it is
  // all there is to say (a code without words here): there it is marked as English for screen readers.
  const english = w.language === BASE_LANGUAGE;
  const description = out.note ?? (english || !worded ? out.error_description : undefined);
  const lang = out.note || english ? '' : ` lang="${BASE_LANGUAGE}"`;
  return page(
    w.t('error_page.title'),
    `<h1>${words(w, 'error_page.title')}</h1>
<p class="error" role="alert" id="error" data-code="${escape(code)}">${words(w, worded ? `error_page.${code}` : 'error_page.other')} <code>(${escape(code)})</code></p>
${description ? `<p class="note"${lang}>${escape(description)}</p>` : ''}`,
    '',
    w.language,
  );
}
