import type { CaptchaWidget } from '../../abuse/captcha-widget';
import { widgetMarkup, widgetScripts } from '../../oidc/pages/captcha-markup';
import { errorBox, escape, page, words } from '../../oidc/pages/layout';
import type { PageOrigins } from '../../oidc/pages/layout';
import { ENGLISH, type PageError, type PageWords } from '../../oidc/pages/page-words';
import { providerButtons, type ProviderButtonsModel } from '../../oidc/pages/provider-buttons';
import { stepWords } from '../../oidc/pages/step-page';
import type { PageCeremony, SignInMethod, SignInStep } from '../../oidc/sign-in/sign-in-method';
import type { PendingDevice } from '../device-authorizations';

/**
 * The device verification page (RFC 8628 §3.3), one template for its steps: enter the code the
 * terminal shows; sign in (every sign-in method of the OpenID provider's login page, each its own
 * form, and its "Continue with <provider>" buttons); the second factor when the account has one (the login page's step, issue 26); see which
 * device asks and approve or deny; done. Plain forms, labels on every field, one CSRF token per
 * form, no script but a CAPTCHA provider's when a sign-in must show its widget (issue 30) and the
 * passkey's button (issue 26: its own inline script, by hash): otherwise it works without JavaScript.
 */
export type DevicePageModel =
  | { step: 'code'; userCode?: string | undefined; csrf: { code: string } }
  | {
      step: 'sign-in';
      device: PendingDevice;
      methods: readonly SignInMethod[];
      csrf: Record<string, string>;
      email?: string | undefined;
      /** The CAPTCHA widget a method's form must carry now (SignInMethod.humanCheck), by method id. */
      widgets?: Record<string, CaptchaWidget> | undefined;
      /** The markup of a method a script drives (SignInMethod.ceremony: a passkey), by method id. */
      ceremonies?: Record<string, PageCeremony> | undefined;
      /** "Continue with <provider>" for each configured web redirect provider (issue 25). */
      providers?: ProviderButtonsModel | undefined;
    }
  | { step: 'second-factor'; device: PendingDevice; signInStep: SignInStep; csrf: { step: string; signOut: string }; ceremony?: PageCeremony | undefined }
  | { step: 'confirm'; device: PendingDevice; who: string; csrf: { decision: string; signOut: string } }
  | { step: 'done'; decision: 'approve' | 'deny' };

const PATH = '/device';

const hidden = (name: string, value: string) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`;

/** Who asks, in the words a person checks: the device, the app, from where and when. */
function deviceFacts(d: PendingDevice, w: PageWords): string {
  const from = words(w, 'device.facts.asked_from_at', { ip: escape(d.ip ?? w.t('device.facts.unknown_address')), time: escape(d.createdAt.toISOString().slice(11, 16)) });
  return `<dl id="device">
<dt>${words(w, 'device.facts.device')}</dt><dd>${escape(d.device)}</dd>
<dt>${words(w, 'device.facts.app')}</dt><dd><code>${escape(d.clientId)}</code></dd>
<dt>${words(w, 'device.facts.code')}</dt><dd><strong>${escape(d.userCode)}</strong></dd>
<dt>${words(w, 'device.facts.asked_from')}</dt><dd>${from}</dd>
${d.userAgent ? `<dt>${words(w, 'device.facts.identifies_as')}</dt><dd><code>${escape(d.userAgent)}</code></dd>` : ''}
</dl>`;
}

/** A script-driven method's form (a passkey): its CSRF token, the code, and its markup, which posts the form itself. */
function scriptedForm(device: PendingDevice, method: SignInMethod, csrf: string, ceremony: PageCeremony): string {
  return `<form method="post" action="${escape(`${PATH}/sign-in/${method.id}`)}" id="${escape(method.id)}-form">
${hidden('csrf', csrf)}
${hidden('user_code', device.userCode)}
${ceremony.markup}
</form>`;
}

/** What the page's Content-Security-Policy must let in: the CAPTCHA widgets' origins and the passkey script's hash, where shown. */
export function devicePageOrigins(m: DevicePageModel): PageOrigins[] {
  if (m.step === 'sign-in') return [...Object.values(m.widgets ?? {}), ...Object.values(m.ceremonies ?? {})].map((w) => w.csp);
  return m.step === 'second-factor' && m.ceremony ? [m.ceremony.csp] : [];
}

/** The page of step `m` in the language of `w` (issue 30; English when absent), `error` in its box. */
export function devicePage(m: DevicePageModel, error?: PageError, w: PageWords = ENGLISH): string {
  const lang = w.language;
  switch (m.step) {
    case 'code':
      return page(
        w.t('device.code.title'),
        `<h1>${words(w, 'device.code.title')}</h1>
<p>${words(w, 'device.code.explanation', { command: '<code>cathouse login</code>' })}</p>
${errorBox(error, w)}
<form method="post" action="${PATH}" id="code-form">
${hidden('csrf', m.csrf.code)}
<label for="user_code">${words(w, 'device.code.label')}</label>
<input id="user_code" name="user_code" type="text" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" required maxlength="20" placeholder="XXXX-XXXX" value="${escape(m.userCode ?? '')}">
<button class="primary" type="submit">${words(w, 'device.code.submit')}</button>
</form>`,
        '',
        lang,
      );
    case 'sign-in': {
      const forms = m.methods
        .filter((method) => !method.ceremony || m.ceremonies?.[method.id])
        .map((method) => {
          const ceremony = m.ceremonies?.[method.id];
          if (ceremony) return scriptedForm(m.device, method, m.csrf[method.id] ?? '', ceremony);
          const widget = m.widgets?.[method.id];
          const fields = method.fields
            .map((f) => {
              const id = `${method.id}-${f.name}`;
              const value = f.type === 'email' && m.email ? ` value="${escape(m.email)}"` : '';
              return `<label for="${escape(id)}">${escape(w.or(`field.${method.id}.${f.name}`, f.label))}</label>
<input id="${escape(id)}" name="${escape(f.name)}" type="${f.type}" autocomplete="${escape(f.autocomplete)}" required${value}>`;
            })
            .join('\n');
          return `<form method="post" action="${escape(`${PATH}/sign-in/${method.id}`)}" id="${escape(method.id)}-form">
${hidden('csrf', m.csrf[method.id] ?? '')}
${hidden('user_code', m.device.userCode)}
${fields}${widget ? `\n${widgetMarkup(widget, w)}` : ''}
<button class="primary" type="submit">${escape(w.or(`method.${method.id}.label`, method.label))}</button>
</form>`;
        })
        .join('\n<hr>\n');
      return page(
        w.t('device.sign_in.title'),
        `<h1>${words(w, 'device.sign_in.title')}</h1>
${deviceFacts(m.device, w)}
${errorBox(error, w)}
${forms}
${providerButtons(m.providers, w)}`,
        widgetScripts(Object.values(m.widgets ?? {})),
        lang,
      );
    }
    case 'second-factor': {
      const s = { ...m.signInStep, ...stepWords(m.signInStep, w) };
      const fields = s.fields
        .map((f) => {
          const id = `${s.id}-${f.name}`;
          const mode = f.inputmode ? ` inputmode="${f.inputmode}"` : '';
          return `<label for="${escape(id)}">${escape(w.or(`field.${s.id}.${f.name}`, f.label))}</label>
<input id="${escape(id)}" name="${escape(f.name)}" type="${f.type}" autocomplete="${escape(f.autocomplete)}"${mode} required autofocus>`;
        })
        .join('\n');
      return page(
        s.title,
        `<h1>${escape(s.title)}</h1>
${deviceFacts(m.device, w)}
<p>${escape(s.explanation)}</p>
${errorBox(error, w)}
<form method="post" action="${escape(`${PATH}/step/${s.id}`)}" id="${escape(s.id)}-form">
${hidden('csrf', m.csrf.step)}
${hidden('user_code', m.device.userCode)}
${fields}
<button class="primary" type="submit">${escape(s.label)}</button>${m.ceremony ? `\n${m.ceremony.markup}` : ''}
</form>
<form method="post" action="${PATH}/sign-out">
${hidden('csrf', m.csrf.signOut)}
${hidden('user_code', m.device.userCode)}
<button type="submit" id="sign-out">${words(w, 'device.second_factor.sign_out')}</button>
</form>`,
        '',
        lang,
      );
    }
    case 'confirm':
      return page(
        w.t('device.confirm.title'),
        `<h1>${words(w, 'device.confirm.title')}</h1>
<p>${words(w, 'device.confirm.signed_in_as', { who: `<strong id="who">${escape(m.who)}</strong>` })}</p>
${deviceFacts(m.device, w)}
<p class="note">${words(w, 'device.confirm.note')}</p>
${errorBox(error, w)}
<form method="post" action="${PATH}/decision" id="decision-form">
${hidden('csrf', m.csrf.decision)}
${hidden('user_code', m.device.userCode)}
<button class="primary" type="submit" name="decision" value="approve" id="approve">${words(w, 'device.confirm.allow')}</button>
<button type="submit" name="decision" value="deny" id="deny">${words(w, 'device.confirm.deny')}</button>
</form>
<form method="post" action="${PATH}/sign-out">
${hidden('csrf', m.csrf.signOut)}
${hidden('user_code', m.device.userCode)}
<button type="submit" id="sign-out">${words(w, 'device.confirm.sign_out')}</button>
</form>`,
        '',
        lang,
      );
    case 'done': {
      const k = m.decision === 'approve' ? 'approve' : 'deny';
      return page(w.t(`device.done.${k}_title`), `<h1 id="done" data-decision="${k}">${words(w, `device.done.${k}_title`)}</h1>\n<p>${words(w, `device.done.${k}_text`)}</p>`, '', lang);
    }
  }
}
