/**
 * The mails of second factors (issue 26): notices only, no link. Each says what happened to the
 * account and what to do if it was not the owner; messages.ts wraps them in the common layout.
 */
export const FACTOR_MAIL_TEMPLATES = ['factor_added', 'factor_removed', 'recovery_code_used', 'factors_reset'] as const;
export type FactorMailTemplate = (typeof FACTOR_MAIL_TEMPLATES)[number];

export interface FactorMailParams {
  /** The factor in words: "a passkey (MacBook)", "an authenticator app", "recovery codes". */
  factor?: string;
  /** Recovery codes left after this one. */
  remaining?: number;
}

export function isFactorTemplate(template: string): template is FactorMailTemplate {
  return (FACTOR_MAIL_TEMPLATES as readonly string[]).includes(template);
}

export function factorMail(template: FactorMailTemplate, params: FactorMailParams): { subject: string; paragraphs: string[] } {
  const factor = params.factor ?? 'a second factor';
  switch (template) {
    case 'factor_added':
      return { subject: 'A sign-in factor was added to your account', paragraphs: [`${capitalize(factor)} was added to your Cat House account; it is now asked for when you sign in.`, 'If this was not you, sign in, remove it, and change your password.'] };
    case 'factor_removed':
      return { subject: 'A sign-in factor was removed from your account', paragraphs: [`${capitalize(factor)} was removed from your Cat House account.`, 'If this was not you, sign in and check your account security at once.'] };
    case 'recovery_code_used':
      return {
        subject: 'A recovery code was used',
        paragraphs: [
          `A recovery code was just used to sign in to your Cat House account; ${params.remaining ?? 0} unused codes are left. Each code works once.`,
          'If this was not you, someone has your password and a recovery code: change your password and make new recovery codes.',
        ],
      };
    case 'factors_reset':
      return { subject: 'Your second factors were reset', paragraphs: ['An administrator removed every second factor (passkeys, authenticator app, recovery codes) of your Cat House account, as asked; every session was signed out.', 'Sign in with your password and set up a second factor again. If you did not ask for this, contact Cat House support.'] };
  }
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
