import type { ConsentView } from '../consent';
import { errorBox, escape, page } from './layout';

/**
 * The consent page: who asks (the app, its cat, the cat's developer), what for, each scope as a
 * checkbox in words (openid fixed: it is the sign-in itself), and which installation of the cat the
 * permissions come from. Allow grants the ticked scopes; Deny returns access_denied to the app.
 */
export interface ConsentPageModel {
  uid: string;
  mountPath: string;
  view: ConsentView;
  csrf: { consent: string; abort: string };
  error?: { code: string; message: string } | undefined;
}

export function consentPage({ uid, mountPath, view, csrf, error }: ConsentPageModel): string {
  const action = (what: string) => escape(`${mountPath}/interaction/${uid}/${what}`);
  const deny = `<form method="post" action="${action('abort')}">
<input type="hidden" name="csrf" value="${escape(csrf.abort)}">
<button type="submit" id="deny">Deny</button>
</form>`;
  const title = `${escape(view.clientName)} wants to use your Cat House account`;
  const intro = `<h1>${title}</h1>
<p><strong>${escape(view.clientName)}</strong> is an app of the cat <strong>${escape(view.cat.name)}</strong>, made by ${escape(view.cat.developer)}.</p>`;
  if (view.installations.length === 0) {
    return page(
      'Allow access?',
      `${intro}
<p class="error" role="alert" id="error" data-code="installation_required">You have no active installation of ${escape(view.cat.name)}. Install it (or resume it) in Cat House first, then try again. <code>(installation_required)</code></p>
${deny}`,
    );
  }
  const scopes = view.scopes
    .map((s) => {
      const id = `scope-${s.scope.replace(/[^a-z0-9]+/gi, '-')}`;
      return `<label class="check" for="${escape(id)}"><input type="checkbox" id="${escape(id)}" name="scope" value="${escape(s.scope)}" checked${s.required ? ' disabled' : ''}>
<span>${escape(s.words)}${s.detail ? `<small>${escape(view.cat.name)} says: ${escape(s.detail)}</small>` : ''}${s.required ? '<small>Needed to sign you in.</small>' : ''}</span></label>`;
    })
    .join('\n');
  const installations =
    view.installations.length === 1
      ? `<input type="hidden" name="installation_id" value="${escape(view.installations[0]!.id)}">
<p>From your installation <strong>${escape(view.installations[0]!.name)}</strong>.</p>`
      : `<label for="installation">From which installation of ${escape(view.cat.name)}?</label>
<select id="installation" name="installation_id" required>
${view.installations.map((i) => `<option value="${escape(i.id)}">${escape(i.name)}</option>`).join('\n')}
</select>`;
  const unavailable = view.unavailable.length
    ? `<p class="note">Also asked for, but ${escape(view.cat.name)} does not declare it, so it cannot be granted: ${view.unavailable.map((s) => `<code>${escape(s)}</code>`).join(', ')}.</p>`
    : '';
  return page(
    'Allow access?',
    `${intro}
${errorBox(error)}
<form method="post" action="${action('consent')}" id="consent-form">
<input type="hidden" name="csrf" value="${escape(csrf.consent)}">
<fieldset><legend>It asks to</legend>
${scopes}
</fieldset>
${installations}
${unavailable}
<p class="note">The app can only use a permission while your installation grants it. You can disconnect the app at any time under Connected apps.</p>
<button class="primary" type="submit" id="allow">Allow</button>
</form>
${deny}`,
  );
}
