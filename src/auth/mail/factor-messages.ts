import type { MailCatalog } from './mail-locales';

/**
 * The mails of second factors (issue 26): notices only, no link. Their words are in
 * locales/<language>.json like every other mail's (issue 30); the factor they name is put in
 * words from the same file's `factor_words`, so a Spanish mail names "una llave de acceso".
 */
export const FACTOR_MAIL_TEMPLATES = ['factor_added', 'factor_removed', 'recovery_code_used', 'factors_reset'] as const;
export type FactorMailTemplate = (typeof FACTOR_MAIL_TEMPLATES)[number];

/** A factor a mail names: the key of its words in `factor_words`. */
export type MailedFactorKind = 'passkey' | 'totp';

export interface FactorMailParams {
  /** Which factor was added or removed; the mail names it in the recipient's language. */
  factor_kind?: MailedFactorKind;
  /** The passkey's name, shown as the user gave it ("MacBook"). */
  factor_name?: string;
  /**
   * The factor in English words ("a passkey (MacBook)"): what outbox rows queued before issue 30
   * hold. Used only when a row has no factor_kind, so those mails still name the factor.
   */
  factor?: string;
  /** Recovery codes left after this one. */
  remaining?: number;
}

/**
 * The `{factor}` of a factor mail: the words of its kind in the first file of the chain that has
 * them (the template's own file first), with the passkey's name filled in.
 */
export function factorWords(chain: readonly MailCatalog[], params: FactorMailParams): string {
  if (!params.factor_kind && params.factor) return params.factor;
  const kind = params.factor_kind ?? 'other';
  const words = chain.map((c) => c.factor_words?.[kind] ?? c.factor_words?.other).find((w) => w !== undefined) ?? 'a second factor';
  return words.replace('{name}', params.factor_name ?? '?');
}
