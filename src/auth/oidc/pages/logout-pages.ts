import { escape, page, words } from './layout';
import { ENGLISH, type PageWords } from './page-words';

/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the confirmation page, around the
 * form the library gives (its hidden `xsrf` field), and the page after it when the client named
 * no post_logout_redirect_uri. Two small templates of one flow.
 */
export function logoutPage(libraryForm: string, w: PageWords = ENGLISH): string {
  // libraryForm is the library's own markup (a form with a CSRF field and no user data).
  const formId = /id="([^"]+)"/.exec(libraryForm)?.[1] ?? 'op.logoutForm';
  return page(
    w.t('logout.title'),
    `<h1>${words(w, 'logout.heading')}</h1>
${libraryForm}
<p>${words(w, 'logout.explanation')}</p>
<button class="primary" type="submit" form="${escape(formId)}" name="logout" value="yes">${words(w, 'logout.yes')}</button>
<button type="submit" form="${escape(formId)}">${words(w, 'logout.no')}</button>`,
    '',
    w.language,
  );
}

export function loggedOutPage(clientName: string | undefined, w: PageWords = ENGLISH): string {
  const text = clientName ? words(w, 'logged_out.text_app', { app: escape(clientName) }) : words(w, 'logged_out.text');
  return page(w.t('logged_out.title'), `<h1>${words(w, 'logged_out.title')}</h1><p>${text}</p>`, '', w.language);
}
