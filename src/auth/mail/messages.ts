import type { Config } from '../../config/config';
import { FACTOR_MAIL_TEMPLATES, factorMail, isFactorTemplate, type FactorMailParams } from './factor-messages';

/**
 * The mails of the account lifecycle: their subject, text and HTML, and the frontend links they
 * carry. A link is APP_URL + the page's path with the token in the fragment (default: it never
 * reaches a server log or a Referer) or in the query. The page spends the token with a POST,
 * never on GET, because mail scanners open links (supabase/auth#1214, #713).
 */
export const MAIL_TEMPLATES = [
  'verify_email',
  'confirm_email_change',
  'email_change_requested',
  'reset_password',
  'password_reset_done',
  'password_changed',
  'email_changed',
  // Second factors (issue 26): factor-messages.ts.
  ...FACTOR_MAIL_TEMPLATES,
] as const;
export type MailTemplate = (typeof MAIL_TEMPLATES)[number];

/** Templates whose link carries a token (sealed in the outbox row, see outbox.ts). */
export const TEMPLATES_WITH_TOKEN: ReadonlySet<MailTemplate> = new Set(['verify_email', 'confirm_email_change', 'reset_password']);

export interface MailParams extends FactorMailParams {
  /** For confirm_email_change, email_change_requested and email_changed: the address being switched to. */
  new_email?: string;
  /** Minutes a link stays valid, for the text. */
  valid_minutes?: number;
}

export interface RenderedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The link in the mail, if any (never logged: its token is a credential). */
  link?: string;
}

export function mailLink(mail: Config['mail'], page: 'verify' | 'reset', token: string): string {
  const path = page === 'verify' ? mail.verifyEmailPath : mail.resetPasswordPath;
  const separator = mail.linkTokenIn === 'fragment' ? '#' : path.includes('?') ? '&' : '?';
  return `${mail.appUrl}${path}${separator}token=${encodeURIComponent(token)}`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function layout(paragraphs: string[], link?: { href: string; label: string }): { text: string; html: string } {
  const text = [...paragraphs, ...(link ? [`${link.label}: ${link.href}`] : []), '— Cat House'].join('\n\n');
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif">',
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>`] : []),
    '<p>— Cat House</p></body></html>',
  ].join('\n');
  return { text, html };
}

/** Renders one outbox row; `token` is the unsealed token of templates that carry one. */
export function renderMail(mail: Config['mail'], template: MailTemplate, to: string, params: MailParams, token: string | undefined): RenderedMail {
  if (isFactorTemplate(template)) {
    const { subject, paragraphs } = factorMail(template, params);
    return { to, subject, ...layout(paragraphs) };
  }
  const minutes = params.valid_minutes ?? 0;
  const need = () => {
    if (!token) throw new Error(`mail template ${template} needs a token`);
    return token;
  };
  switch (template) {
    case 'verify_email': {
      const link = mailLink(mail, 'verify', need());
      return { to, subject: 'Confirm your email address', link, ...layout([`Confirm that ${to} is your address for Cat House. The link is valid for ${minutes} minutes and works once.`, 'If you did not create an account, ignore this mail.'], { href: link, label: 'Confirm your email' }) };
    }
    case 'confirm_email_change': {
      const link = mailLink(mail, 'verify', need());
      return { to, subject: 'Confirm your new email address', link, ...layout([`Your Cat House account asked to use ${to} from now on. Confirm with the link below (valid for ${minutes} minutes, works once).`, 'If you did not ask for this, ignore this mail: nothing changes.'], { href: link, label: 'Confirm the new address' }) };
    }
    case 'email_change_requested':
      return { to, subject: 'Your email address is about to change', ...layout([`Someone with your password asked to change the email address of your Cat House account to ${params.new_email ?? 'another address'}. It changes once that address is confirmed.`, 'If this was not you, change your password now.']) };
    case 'reset_password': {
      const link = mailLink(mail, 'reset', need());
      return { to, subject: 'Reset your password', link, ...layout([`Someone asked to reset the password of your Cat House account. The link is valid for ${minutes} minutes and works once.`, 'If you did not ask for this, ignore this mail: your password stays as it is.'], { href: link, label: 'Choose a new password' }) };
    }
    case 'password_reset_done':
      return { to, subject: 'Your password was reset', ...layout(['The password of your Cat House account was reset, and every session was logged out.', 'If this was not you, reset it again and check your mailbox security.']) };
    case 'email_changed':
      return { to, subject: 'Your email address was changed', ...layout([`The email address of your Cat House account is now ${params.new_email ?? 'another address'}; mail for the account no longer comes here, and links sent here before no longer work.`, 'If this was not you, contact Cat House support from this address at once.']) };
    case 'password_changed':
      return { to, subject: 'Your password was changed', ...layout(['The password of your Cat House account was changed; your other sessions were logged out.', 'If this was not you, reset your password now.']) };
  }
}
