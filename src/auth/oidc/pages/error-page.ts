import { escape, page } from './layout';

/**
 * The provider's error page (its `renderError`): shown when the authorization request cannot be
 * answered by a redirect to the client (an unknown client, a redirect_uri that is not registered
 * exactly, an expired interaction). The OAuth error code stays visible, in words first.
 */
const WORDS: Record<string, string> = {
  invalid_request: 'The app sent a request Cat House cannot accept.',
  invalid_client: 'This app is not registered with Cat House.',
  invalid_redirect_uri: 'This app asked to return to an address it has not registered.',
  session_not_found: 'This sign-in has expired. Go back to the app and start again.',
  invalid_grant: 'This sign-in is no longer valid. Go back to the app and start again.',
  server_error: 'Something went wrong on our side. Try again in a moment.',
};

export function errorPage(out: { error?: string; error_description?: string }): string {
  const code = out.error ?? 'server_error';
  return page(
    'Cannot continue',
    `<h1>Cannot continue</h1>
<p class="error" role="alert" id="error" data-code="${escape(code)}">${escape(WORDS[code] ?? 'The request cannot be completed.')} <code>(${escape(code)})</code></p>
${out.error_description ? `<p class="note">${escape(out.error_description)}</p>` : ''}`,
  );
}
