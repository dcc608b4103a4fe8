import type { AuditClient } from '../../audit/audit-events';
import type { SignInResult } from './sign-in-method';

/**
 * The sign-in page a provider redirect started from, and so the only place it may come back to
 * (issue 25's web redirect sign-in on the login page and /device). It travels inside the signed
 * redirect state (federation/redirect-state.ts), never in a URL the browser could change: the
 * callback derives where to go from it, so the flow cannot become an open redirect.
 * `oidc`: the provider's interaction `uid`; `device`: the /device page's cookie nonce and the
 * code the person typed.
 */
export type SignInPage = { kind: 'oidc'; uid: string } | { kind: 'device'; nonce: string; userCode: string };

/** A configured web redirect provider as a page shows it: "Continue with <label>". */
export interface RedirectProviderButton {
  readonly id: string;
  readonly label: string;
}

/**
 * "Continue with <provider>" on the service's own sign-in pages: the existing web redirect flow
 * (src/auth/federation/redirect-sign-in.ts: PKCE, state, nonce, the same ID-token checks, linking
 * and takeover defence), started for a page and finished on it. Named here so the pages do not
 * depend on federation/.
 */
export interface ProviderRedirects {
  readonly providers: readonly RedirectProviderButton[];
  /**
   * Where the browser goes, and the sealed state cookie it carries to the callback (`crossSitePost`:
   * the provider answers by form_post). Throws AppError unknown_provider.
   */
  start(provider: string, page: SignInPage): Promise<{ location: string; cookie: string; maxAgeSeconds: number; crossSitePost: boolean }>;
  /**
   * Spends the one-time code the callback handed to `page` (only to this page: a code made for
   * another interaction or another browser's /device is refused): the account and its methods
   * (`fed`). Throws AppError invalid_grant when unknown, spent, expired or bound elsewhere.
   */
  complete(code: string, page: SignInPage, client: AuditClient & { ip: string }): Promise<SignInResult>;
}

/** The words a page shows for the callback's refusals (the redirect's ?error=, RFC 6749 §4.1.2.1 codes). */
export const PROVIDER_REFUSAL_WORDS: Record<string, string> = {
  invalid_request: 'The sign-in with the provider could not be completed: it was altered, took too long, or was started in another browser. Try again.',
  access_denied: 'The provider did not sign you in, or its answer could not be verified. Try again, or use another way to sign in.',
  temporarily_unavailable: 'The provider could not be reached. Try again in a moment.',
  account_disabled: 'This account has been deactivated.',
  server_error: 'Something went wrong on our side. Try again in a moment.',
};

/** The page's words for a refusal code from the callback (unknown codes get the generic words). */
export function providerRefusal(code: string): { code: string; message: string } {
  const known = Object.hasOwn(PROVIDER_REFUSAL_WORDS, code) ? code : 'server_error';
  return { code: known, message: PROVIDER_REFUSAL_WORDS[known]! };
}
