import type { CaptchaWidget } from '../../abuse/captcha-widget';
import { escape, words } from './layout';
import { ENGLISH, type PageWords } from './page-words';

/**
 * A CAPTCHA widget inside a sign-in form (issue 30): the provider's script fills the element and
 * adds the token field (cf-turnstile-response, h-captcha-response) that the form then posts. It
 * needs JavaScript; the note says so to a browser without it. For any page that renders
 * SignInMethod.humanCheck's widget (the login page; /device can use it the same way). The prompt
 * above it is ours, in the page's language: the widget speaks the provider's language (its script
 * picks one from the browser), and says nothing of why it appeared or what comes after it.
 */
export function widgetMarkup(w: CaptchaWidget, text: PageWords = ENGLISH): string {
  const action = w.provider === 'turnstile' ? ` data-action="${escape(w.action)}"` : '';
  return `<p class="note" id="captcha-prompt">${words(text, 'captcha.prompt')}</p>
<div class="${escape(w.className)}" id="captcha" data-sitekey="${escape(w.siteKey)}"${action}></div>
<noscript><p class="note">${words(text, 'captcha.noscript')}</p></noscript>`;
}

/** The script tags of the widgets shown, once each, for `page()`'s head; the page's CSP must then be pageCsp(...widgets' csp). */
export function widgetScripts(widgets: readonly CaptchaWidget[]): string {
  return [...new Set(widgets.map((w) => w.scriptSrc))].map((src) => `\n<script src="${escape(src)}" async defer></script>`).join('');
}
