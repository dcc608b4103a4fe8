import type { ConsentView } from '../consent';
import { errorBox, escape, page, words } from './layout';
import { ENGLISH, type PageError, type PageWords } from './page-words';

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
  error?: PageError | undefined;
  /** The page's language (issue 30); English when absent. */
  words?: PageWords | undefined;
}

export function consentPage({ uid, mountPath, view, csrf, error, words: w = ENGLISH }: ConsentPageModel): string {
  const action = (what: string) => escape(`${mountPath}/interaction/${uid}/${what}`);
  const cat = escape(view.cat.name);
  const deny = `<form method="post" action="${action('abort')}">
<input type="hidden" name="csrf" value="${escape(csrf.abort)}">
<button type="submit" id="deny">${words(w, 'consent.deny')}</button>
</form>`;
  const intro = `<h1>${words(w, 'consent.heading', { app: escape(view.clientName) })}</h1>
<p>${words(w, 'consent.intro', { app: `<strong>${escape(view.clientName)}</strong>`, cat: `<strong>${cat}</strong>`, developer: escape(view.cat.developer) })}</p>`;
  if (view.installations.length === 0) {
    return page(
      w.t('consent.title'),
      `${intro}
<p class="error" role="alert" id="error" data-code="installation_required">${words(w, 'consent.installation_required', { cat })} <code>(installation_required)</code></p>
${deny}`,
      '',
      w.language,
    );
  }
  const scopes = view.scopes
    .map((s) => {
      const id = `scope-${s.scope.replace(/[^a-z0-9]+/gi, '-')}`;
      const says = s.detail ? `<small>${words(w, 'consent.cat_says', { cat, detail: escape(s.detail) })}</small>` : '';
      return `<label class="check" for="${escape(id)}"><input type="checkbox" id="${escape(id)}" name="scope" value="${escape(s.scope)}" checked${s.required ? ' disabled' : ''}>
<span>${escape(w.or(`scope.${s.scope}`, s.words))}${says}${s.required ? `<small>${words(w, 'consent.required')}</small>` : ''}</span></label>`;
    })
    .join('\n');
  const installations =
    view.installations.length === 1
      ? `<input type="hidden" name="installation_id" value="${escape(view.installations[0]!.id)}">
<p>${words(w, 'consent.from_installation', { installation: `<strong>${escape(view.installations[0]!.name)}</strong>` })}</p>`
      : `<label for="installation">${words(w, 'consent.which_installation', { cat })}</label>
<select id="installation" name="installation_id" required>
${view.installations.map((i) => `<option value="${escape(i.id)}">${escape(i.name)}</option>`).join('\n')}
</select>`;
  const unavailable = view.unavailable.length
    ? `<p class="note">${words(w, 'consent.unavailable', { cat, scopes: view.unavailable.map((s) => `<code>${escape(s)}</code>`).join(', ') })}</p>`
    : '';
  return page(
    w.t('consent.title'),
    `${intro}
${errorBox(error, w)}
<form method="post" action="${action('consent')}" id="consent-form">
<input type="hidden" name="csrf" value="${escape(csrf.consent)}">
<fieldset><legend>${words(w, 'consent.asks_to')}</legend>
${scopes}
</fieldset>
${installations}
${unavailable}
<p class="note">${words(w, 'consent.note')}</p>
<button class="primary" type="submit" id="allow">${words(w, 'consent.allow')}</button>
</form>
${deny}`,
    '',
    w.language,
  );
}
