import type { CaptchaWidget } from '../../abuse/captcha-widget';
import type { PageCeremony, SignInMethod } from '../sign-in/sign-in-method';
import { widgetMarkup, widgetScripts } from './captcha-markup';
import { errorBox, escape, page, words } from './layout';
import { ENGLISH, type PageError, type PageWords } from './page-words';
import { providerButtons, type ProviderButtonsModel } from './provider-buttons';

/**
 * The provider's sign-in page: one form per sign-in method (email and password; a passkey, whose
 * button its script drives), each posting to its own URL with its own CSRF token, then "Or continue
 * with" one button per web redirect provider (Google, Apple... when configured: provider-buttons.ts).
 * Works without JavaScript for the password and the providers; every field has a label.
 */
export interface LoginPageModel {
  uid: string;
  mountPath: string;
  clientName: string;
  catName: string | null;
  methods: readonly SignInMethod[];
  /** CSRF token for each method's form, by method id. */
  csrf: Record<string, string>;
  /** What the player typed, to fill in again after an error (never the password). */
  email?: string | undefined;
  error?: PageError | undefined;
  /** The CAPTCHA widget a method's form must carry now (SignInMethod.humanCheck), by method id. */
  widgets?: Record<string, CaptchaWidget> | undefined;
  /** The markup of a method a script drives (SignInMethod.ceremony: a passkey), by method id. */
  ceremonies?: Record<string, PageCeremony> | undefined;
  /** "Continue with <provider>" for each configured web redirect provider (issue 25). */
  providers?: ProviderButtonsModel | undefined;
  /** The page's language (issue 30); English when absent. */
  words?: PageWords | undefined;
}

export function loginPage(m: LoginPageModel): string {
  const w = m.words ?? ENGLISH;
  const forms = m.methods
    .filter((method) => !method.ceremony || m.ceremonies?.[method.id])
    .map((method) => {
      const ceremony = m.ceremonies?.[method.id];
      if (ceremony) return scriptedForm(m, method, ceremony);
      const fields = method.fields
        .map((f) => {
          const id = `${method.id}-${f.name}`;
          const value = f.type === 'email' && m.email ? ` value="${escape(m.email)}"` : '';
          return `<label for="${escape(id)}">${escape(w.or(`field.${method.id}.${f.name}`, f.label))}</label>
<input id="${escape(id)}" name="${escape(f.name)}" type="${f.type}" autocomplete="${escape(f.autocomplete)}" required${value}>`;
        })
        .join('\n');
      const widget = m.widgets?.[method.id];
      return `<form method="post" action="${escape(`${m.mountPath}/interaction/${m.uid}/login/${method.id}`)}" id="${escape(method.id)}-form">
<input type="hidden" name="csrf" value="${escape(m.csrf[method.id])}">
${fields}${widget ? `\n${widgetMarkup(widget, w)}` : ''}
<button class="primary" type="submit">${escape(w.or(`method.${method.id}.label`, method.label))}</button>
</form>`;
    })
    .join('\n<hr>\n');
  const to = m.catName ? `${m.clientName} (${m.catName})` : m.clientName;
  return page(
    w.t('login.title'),
    `<h1>${words(w, 'login.heading')}</h1>
<p>${words(w, 'login.continue_to', { app: `<strong>${escape(to)}</strong>` })}</p>
${errorBox(m.error, w)}
${forms}
${providerButtons(m.providers, w)}
<form method="post" action="${escape(`${m.mountPath}/interaction/${m.uid}/abort`)}">
<input type="hidden" name="csrf" value="${escape(m.csrf.abort)}">
<button type="submit">${words(w, 'login.cancel')}</button>
</form>`,
    widgetScripts(Object.values(m.widgets ?? {})),
    w.language,
  );
}

/** A script-driven method's form (a passkey): its CSRF token and its markup, which posts the form itself. */
function scriptedForm(m: LoginPageModel, method: SignInMethod, ceremony: PageCeremony): string {
  return `<form method="post" action="${escape(`${m.mountPath}/interaction/${m.uid}/login/${method.id}`)}" id="${escape(method.id)}-form">
<input type="hidden" name="csrf" value="${escape(m.csrf[method.id])}">
${ceremony.markup}
</form>`;
}
