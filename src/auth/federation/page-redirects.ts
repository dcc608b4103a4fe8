import type { DataSource } from 'typeorm';
import type { Config } from '../../config/config';
import { AppError } from '../../errors/app-error';
import type { ProviderRedirects, RedirectProviderButton, SignInPage } from '../oidc/sign-in/provider-redirect';
import { sql } from '../sql';
import { spendHandoff } from './page-handoffs';
import type { RedirectSignIn } from './redirect-sign-in';

/** "google" → "Google": the button's words for a configured provider name. */
function label(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * The web redirect sign-in (redirect-sign-in.ts) as the service's own sign-in pages use it: the
 * same start and callback, the same verification, linking and takeover defence; only the end
 * differs (the callback hands the page a one-time code bound to it, page-handoffs.ts, and the page
 * finishes the sign-in, with any second factor, as after a password). The methods are `fed`
 * (RFC 8176 leaves federation out; `fed` is the value authentication-context.ts keeps for it).
 */
export function pageRedirects(
  settings: Config['webSignIn'],
  dataSource: DataSource,
  /** The flow, made later than the pages' routes (used on requests only). */
  flow: () => { redirects: RedirectSignIn },
): ProviderRedirects | undefined {
  if (settings.providers.length === 0) return undefined;
  const providers: RedirectProviderButton[] = settings.providers.map((p) => ({ id: p.name, label: label(p.name) }));
  return {
    providers,
    start(provider: string, page: SignInPage) {
      // The frontend URL stays the fallback of a refusal nobody can tie to a page (never used for a page's own flow).
      return flow().redirects.start(provider, settings.returnUrls[0]!, undefined, page);
    },
    async complete(code, page) {
      const spent = await spendHandoff(dataSource, code, page);
      if (!spent) throw new AppError('invalid_grant', 'This sign-in with the provider is unknown, spent or expired, or was started on another page: start it again.');
      const { rows } = await sql<{ is_active: boolean }>(dataSource, `SELECT is_active FROM auth.users WHERE id = $1`, [spent.userId]);
      if (!rows[0]?.is_active) throw new AppError('account_disabled', 'This account has been deactivated.');
      // Counted when the page finishes the sign-in (sign-in-events.ts), after any second factor: not yet.
      return { userId: spent.userId, methods: ['fed'], providerSignIn: { method: 'redirect', provider: spent.provider } };
    },
  };
}
