import type { PageCeremony, SignInStep } from '../sign-in/sign-in-method';
import { errorBox, escape, page, words } from './layout';
import { ENGLISH, type PageError, type PageWords } from './page-words';

/** The page of a sign-in step (issue 26's second factor): its fields, the step's challenge hidden, a CSRF token. Works without JavaScript (but for a passkey's button). */
export interface StepPageModel {
  uid: string;
  mountPath: string;
  step: SignInStep;
  challenge: string;
  csrf: { step: string; abort: string };
  error?: PageError | undefined;
  /** What the step's form carries besides its fields (SignInStep.ceremony: a passkey's button). */
  ceremony?: PageCeremony | undefined;
  /** The page's language (issue 30); English when absent. */
  words?: PageWords | undefined;
}

export function stepPage(m: StepPageModel): string {
  const w = m.words ?? ENGLISH;
  const s = stepWords(m.step, w);
  const fields = m.step.fields
    .map((f) => {
      const id = `${m.step.id}-${f.name}`;
      const mode = f.inputmode ? ` inputmode="${f.inputmode}"` : '';
      return `<label for="${escape(id)}">${escape(w.or(`field.${m.step.id}.${f.name}`, f.label))}</label>
<input id="${escape(id)}" name="${escape(f.name)}" type="${f.type}" autocomplete="${escape(f.autocomplete)}"${mode} required autofocus>`;
    })
    .join('\n');
  return page(
    s.title,
    `<h1>${escape(s.title)}</h1>
<p>${escape(s.explanation)}</p>
${errorBox(m.error, w)}
<form method="post" action="${escape(`${m.mountPath}/interaction/${m.uid}/step/${m.step.id}`)}" id="${escape(m.step.id)}-form">
<input type="hidden" name="csrf" value="${escape(m.csrf.step)}">
<input type="hidden" name="challenge" value="${escape(m.challenge)}">
${fields}
<button class="primary" type="submit">${escape(s.label)}</button>${m.ceremony ? `\n${m.ceremony.markup}` : ''}
</form>
<form method="post" action="${escape(`${m.mountPath}/interaction/${m.uid}/abort`)}">
<input type="hidden" name="csrf" value="${escape(m.csrf.abort)}">
<button type="submit">${words(w, 'login.cancel')}</button>
</form>`,
    '',
    w.language,
  );
}

/** A step's title, explanation and button in the page's language: `step.<id>.*` keys, else the step's own (English) words. */
export function stepWords(step: SignInStep, w: PageWords): { title: string; explanation: string; label: string } {
  return { title: w.or(`step.${step.id}.title`, step.title), explanation: w.or(`step.${step.id}.explanation`, step.explanation), label: w.or(`step.${step.id}.label`, step.label) };
}
