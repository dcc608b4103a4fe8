import type { CaptchaWidget } from '../../abuse/captcha-widget';
import { widgetMarkup, widgetScripts } from '../../oidc/pages/captcha-markup';
import { errorBox, escape, page } from '../../oidc/pages/layout';
import type { PageOrigins } from '../../oidc/pages/layout';
import { providerButtons, type ProviderButtonsModel } from '../../oidc/pages/provider-buttons';
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
function deviceFacts(d: PendingDevice): string {
  return `<dl id="device">
<dt>Device</dt><dd>${escape(d.device)}</dd>
<dt>App</dt><dd><code>${escape(d.clientId)}</code></dd>
<dt>Code</dt><dd><strong>${escape(d.userCode)}</strong></dd>
<dt>Asked from</dt><dd>${escape(d.ip ?? 'an unknown address')} at ${escape(d.createdAt.toISOString().slice(11, 16))} UTC</dd>
${d.userAgent ? `<dt>Identifies as</dt><dd><code>${escape(d.userAgent)}</code></dd>` : ''}
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

export function devicePage(m: DevicePageModel, error?: { code: string; message: string }): string {
  switch (m.step) {
    case 'code':
      return page(
        'Connect a device',
        `<h1>Connect a device</h1>
<p>Enter the code your terminal shows (for example after <code>cathouse login</code>).</p>
${errorBox(error)}
<form method="post" action="${PATH}" id="code-form">
${hidden('csrf', m.csrf.code)}
<label for="user_code">Code</label>
<input id="user_code" name="user_code" type="text" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" required maxlength="20" placeholder="XXXX-XXXX" value="${escape(m.userCode ?? '')}">
<button class="primary" type="submit">Continue</button>
</form>`,
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
              return `<label for="${escape(id)}">${escape(f.label)}</label>
<input id="${escape(id)}" name="${escape(f.name)}" type="${f.type}" autocomplete="${escape(f.autocomplete)}" required${value}>`;
            })
            .join('\n');
          return `<form method="post" action="${escape(`${PATH}/sign-in/${method.id}`)}" id="${escape(method.id)}-form">
${hidden('csrf', m.csrf[method.id] ?? '')}
${hidden('user_code', m.device.userCode)}
${fields}${widget ? `\n${widgetMarkup(widget)}` : ''}
<button class="primary" type="submit">${escape(method.label)}</button>
</form>`;
        })
        .join('\n<hr>\n');
      return page(
        'Sign in to connect a device',
        `<h1>Sign in to connect a device</h1>
${deviceFacts(m.device)}
${errorBox(error)}
${forms}
${providerButtons(m.providers)}`,
        widgetScripts(Object.values(m.widgets ?? {})),
      );
    }
    case 'second-factor': {
      const s = m.signInStep;
      const fields = s.fields
        .map((f) => {
          const id = `${s.id}-${f.name}`;
          const mode = f.inputmode ? ` inputmode="${f.inputmode}"` : '';
          return `<label for="${escape(id)}">${escape(f.label)}</label>
<input id="${escape(id)}" name="${escape(f.name)}" type="${f.type}" autocomplete="${escape(f.autocomplete)}"${mode} required autofocus>`;
        })
        .join('\n');
      return page(
        s.title,
        `<h1>${escape(s.title)}</h1>
${deviceFacts(m.device)}
<p>${escape(s.explanation)}</p>
${errorBox(error)}
<form method="post" action="${escape(`${PATH}/step/${s.id}`)}" id="${escape(s.id)}-form">
${hidden('csrf', m.csrf.step)}
${hidden('user_code', m.device.userCode)}
${fields}
<button class="primary" type="submit">${escape(s.label)}</button>${m.ceremony ? `\n${m.ceremony.markup}` : ''}
</form>
<form method="post" action="${PATH}/sign-out">
${hidden('csrf', m.csrf.signOut)}
${hidden('user_code', m.device.userCode)}
<button type="submit" id="sign-out">Start the sign-in again</button>
</form>`,
      );
    }
    case 'confirm':
      return page(
        'Allow this device?',
        `<h1>Allow this device?</h1>
<p>Signed in as <strong id="who">${escape(m.who)}</strong>. This device asks to sign in to your Cat House account:</p>
${deviceFacts(m.device)}
<p class="note">Only allow it if you started this on your own device and the code matches. It will be listed among your sessions, where you can end it.</p>
${errorBox(error)}
<form method="post" action="${PATH}/decision" id="decision-form">
${hidden('csrf', m.csrf.decision)}
${hidden('user_code', m.device.userCode)}
<button class="primary" type="submit" name="decision" value="approve" id="approve">Allow</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>
<form method="post" action="${PATH}/sign-out">
${hidden('csrf', m.csrf.signOut)}
${hidden('user_code', m.device.userCode)}
<button type="submit" id="sign-out">Not you? Use another account</button>
</form>`,
      );
    case 'done':
      return m.decision === 'approve'
        ? page('Device connected', `<h1 id="done" data-decision="approve">Device connected</h1>\n<p>You can close this page and return to your terminal.</p>`)
        : page('Device not connected', `<h1 id="done" data-decision="deny">Device not connected</h1>\n<p>The device was denied. If you did not start this, nothing more is needed.</p>`);
  }
}
