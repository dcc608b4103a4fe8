import { escape, page } from './layout';

/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the confirmation page, around the
 * form the library gives (its hidden `xsrf` field), and the page after it when the client named
 * no post_logout_redirect_uri. Two small templates of one flow.
 */
export function logoutPage(libraryForm: string): string {
  // libraryForm is the library's own markup (a form with a CSRF field and no user data).
  const formId = /id="([^"]+)"/.exec(libraryForm)?.[1] ?? 'op.logoutForm';
  return page(
    'Sign out',
    `<h1>Sign out of Cat House?</h1>
${libraryForm}
<p>The app asked to sign you out of Cat House in this browser.</p>
<button class="primary" type="submit" form="${escape(formId)}" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="${escape(formId)}">No, stay signed in</button>`,
  );
}

export function loggedOutPage(clientName: string | undefined): string {
  return page(
    'Signed out',
    `<h1>Signed out</h1><p>You are signed out of Cat House${clientName ? ` and ${escape(clientName)}` : ''} in this browser.</p>`,
  );
}
