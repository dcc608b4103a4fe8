import { escape, page, words } from './layout';
import { ENGLISH, type PageWords } from './page-words';

/**
 * The provider's error page (its `renderError`): shown when the authorization request cannot be
 * answered by a redirect to the client (an unknown client, a redirect_uri that is not registered
 * exactly, an expired interaction). The OAuth error code stays visible, in words first (the
 * catalogue's `error_page.<code>`, in the page's language).
 */
const WORDED = new Set(['invalid_request', 'invalid_client', 'invalid_redirect_uri', 'session_not_found', 'invalid_grant', 'server_error']);

export function errorPage(out: { error?: string; error_description?: string }, w: PageWords = ENGLISH): string {
  const code = out.error ?? 'server_error';
  return page(
    w.t('error_page.title'),
    `<h1>${words(w, 'error_page.title')}</h1>
<p class="error" role="alert" id="error" data-code="${escape(code)}">${words(w, WORDED.has(code) ? `error_page.${code}` : 'error_page.other')} <code>(${escape(code)})</code></p>
${out.error_description ? `<p class="note">${escape(out.error_description)}</p>` : ''}`,
    '',
    w.language,
  );
}
