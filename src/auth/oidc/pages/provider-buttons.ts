import type { RedirectProviderButton } from '../sign-in/provider-redirect';
import { escape, words } from './layout';
import { ENGLISH, type PageWords } from './page-words';

/** The "Or continue with" section of a sign-in page: what it posts to and the forms' hidden fields. */
export interface ProviderButtonsModel {
  providers: readonly RedirectProviderButton[];
  /** The URL a provider's form posts to. */
  action(providerId: string): string;
  /** The CSRF token of each provider's form, by provider id. */
  csrf: Record<string, string>;
  /** Further hidden fields every form carries (the /device page's user_code). */
  hidden?: Record<string, string> | undefined;
}

/**
 * "Continue with <provider>" on the login page and /device (issue 25's web redirect sign-in): one
 * plain form per configured provider, posting with its CSRF token, so it works without JavaScript.
 * Empty when no provider is configured.
 */
export function providerButtons(m: ProviderButtonsModel | undefined, w: PageWords = ENGLISH): string {
  if (!m || m.providers.length === 0) return '';
  const hidden = Object.entries(m.hidden ?? {})
    .map(([name, value]) => `\n<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join('');
  const forms = m.providers
    .map(
      (p) => `<form method="post" action="${escape(m.action(p.id))}" id="provider-${escape(p.id)}-form">
<input type="hidden" name="csrf" value="${escape(m.csrf[p.id] ?? '')}">${hidden}
<button type="submit">${words(w, 'providers.continue_with', { provider: escape(p.label) })}</button>
</form>`,
    )
    .join('\n');
  return `<section id="providers" aria-labelledby="providers-heading">
<h2 id="providers-heading">${words(w, 'providers.heading')}</h2>
${forms}
</section>`;
}
