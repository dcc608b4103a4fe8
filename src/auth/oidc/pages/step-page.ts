import type { PageCeremony, SignInStep } from '../sign-in/sign-in-method';
import { errorBox, escape, page } from './layout';

/** The page of a sign-in step (issue 26's second factor): its fields, the step's challenge hidden, a CSRF token. Works without JavaScript (but for a passkey's button). */
export interface StepPageModel {
  uid: string;
  mountPath: string;
  step: SignInStep;
  challenge: string;
  csrf: { step: string; abort: string };
  error?: { code: string; message: string } | undefined;
  /** What the step's form carries besides its fields (SignInStep.ceremony: a passkey's button). */
  ceremony?: PageCeremony | undefined;
}

export function stepPage(m: StepPageModel): string {
  const fields = m.step.fields
    .map((f) => {
      const id = `${m.step.id}-${f.name}`;
      const mode = f.inputmode ? ` inputmode="${f.inputmode}"` : '';
      return `<label for="${escape(id)}">${escape(f.label)}</label>
<input id="${escape(id)}" name="${escape(f.name)}" type="${f.type}" autocomplete="${escape(f.autocomplete)}"${mode} required autofocus>`;
    })
    .join('\n');
  return page(
    m.step.title,
    `<h1>${escape(m.step.title)}</h1>
<p>${escape(m.step.explanation)}</p>
${errorBox(m.error)}
<form method="post" action="${escape(`${m.mountPath}/interaction/${m.uid}/step/${m.step.id}`)}" id="${escape(m.step.id)}-form">
<input type="hidden" name="csrf" value="${escape(m.csrf.step)}">
<input type="hidden" name="challenge" value="${escape(m.challenge)}">
${fields}
<button class="primary" type="submit">${escape(m.step.label)}</button>${m.ceremony ? `\n${m.ceremony.markup}` : ''}
</form>
<form method="post" action="${escape(`${m.mountPath}/interaction/${m.uid}/abort`)}">
<input type="hidden" name="csrf" value="${escape(m.csrf.abort)}">
<button type="submit">Cancel and return to the app</button>
</form>`,
  );
}
