import type { Config } from '../../config/config';
import { BASE_LOCALE, fallbackChain, loadMailCatalogs, type MailCatalog } from './mail-locales';
import { FACTOR_MAIL_TEMPLATES, factorWords, type FactorMailParams } from './factor-messages';

/**
 * The mails of the account lifecycle (their words are in locales/<language>.json, issue 30), their
 * text and HTML parts, and the frontend links they carry. A link is APP_URL + the page's path with the token in the fragment (default: it never
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
  'new_device_signin',
  // Second factors (issue 26): factor-messages.ts.
  ...FACTOR_MAIL_TEMPLATES,
] as const;
export type MailTemplate = (typeof MAIL_TEMPLATES)[number];

/** Templates whose link carries a token (sealed in the outbox row, see outbox.ts). */
export const TEMPLATES_WITH_TOKEN: ReadonlySet<MailTemplate> = new Set(['verify_email', 'confirm_email_change', 'reset_password', 'new_device_signin']);

export interface MailParams extends FactorMailParams {
  /** For confirm_email_change, email_change_requested and email_changed: the address being switched to. */
  new_email?: string;
  /** Minutes a link stays valid, for the text. */
  valid_minutes?: number;
  /** For new_device_signin (issue 30): the browser family and system, and the address of the sign-in. */
  device?: string;
  ip?: string;
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

function layout(lang: string, signature: string, paragraphs: string[], link?: { href: string; label: string }): { text: string; html: string } {
  const text = [...paragraphs, ...(link ? [`${link.label}: ${link.href}`] : []), signature].join('\n\n');
  const html = [
    `<!doctype html><html lang="${escapeHtml(lang)}"><body style="font-family: sans-serif">`,
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>`] : []),
    `<p>${escapeHtml(signature)}</p></body></html>`,
  ].join('\n');
  return { text, html };
}

let catalogs: ReadonlyMap<string, MailCatalog> | undefined;

/** Fills `{name}` placeholders; the values are plain text (the HTML part escapes the result). */
const fill = (text: string, values: Record<string, string>) => text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => values[name] ?? whole);

/**
 * Renders one outbox row in the recipient's language (issue 30): the first language of the
 * fallback chain (locale, its shorter forms, MAIL_DEFAULT_LOCALE, en) whose file has the
 * template. `token` is the unsealed token of templates that carry one.
 */
export function renderMail(mail: Config['mail'], template: MailTemplate, to: string, params: MailParams, token: string | undefined, locale: string | null = null): RenderedMail {
  catalogs ??= loadMailCatalogs();
  const chain = fallbackChain(catalogs, locale, mail.defaultLocale);
  const catalog = chain.find((c) => c.templates[template]) ?? chain.at(-1)!;
  const words = catalog.templates[template];
  if (!words) throw new Error(`mail template ${template} is in no locale file (not even ${BASE_LOCALE}.json)`);
  const values = {
    to,
    valid_minutes: String(params.valid_minutes ?? 0),
    new_email: params.new_email ?? catalog.another_address,
    device: params.device ?? '?',
    ip: params.ip ?? '?',
    factor: factorWords([catalog, ...chain], params),
    remaining: String(params.remaining ?? 0),
  };
  const paragraphs = words.paragraphs.map((p) => fill(p, values));
  let link: string | undefined;
  if (TEMPLATES_WITH_TOKEN.has(template)) {
    if (!token) throw new Error(`mail template ${template} needs a token`);
    link = mailLink(mail, template === 'reset_password' || template === 'new_device_signin' ? 'reset' : 'verify', token);
  }
  const parts = layout(catalog.locale, catalog.signature, paragraphs, link ? { href: link, label: fill(words.link_label ?? link, values) } : undefined);
  return { to, subject: fill(words.subject, values), ...(link ? { link } : {}), ...parts };
}
