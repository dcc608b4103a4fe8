import type { DataSource } from 'typeorm';
import { sql } from '../sql';
import { isUuid } from '../ids';
import { errors, type Oidc } from './library';
import { grantAccess, REFUSAL_WORDS, touchConnectedApp } from './connected-apps';

/**
 * oidc-provider's `findAccount`: a Cat House user as an OpenID account, and the gate every token
 * passes. The library calls it at the authorization endpoint (no token), at the token endpoint with
 * the code or refresh token being exchanged, and at userinfo with the access token. With a token,
 * the grant's consent and installation are read afresh (connected-apps.ts): a revoked consent, a
 * paused or uninstalled installation or an unpublished cat refuses the exchange (invalid_grant) or
 * the userinfo call (invalid_token) at once, naming the reason.
 */

interface UserRow {
  id: string;
  email: string;
  display_name: string | null;
  email_verified_at: Date | null;
  updated_at: Date;
}

type TokenLike = { kind?: string; grantId?: string } | undefined;

/** The part of the library's request context this file reads: the browser's provider session, at the authorization endpoint. */
type FinderContext = { oidc?: { session?: { destroy(): Promise<void> } } } | undefined;

export function accountFinder(dataSource: DataSource): (ctx: FinderContext, sub: string, token?: TokenLike) => Promise<Oidc.Account | undefined> {
  return async (ctx, sub, token) => {
    if (!isUuid(sub)) return undefined;
    const { rows } = await sql<UserRow>(
      dataSource,
      `SELECT id, email, display_name, email_verified_at, updated_at FROM auth.users WHERE id = $1 AND is_active AND deleted_at IS NULL`,
      [sub],
    );
    const user = rows[0];
    // A deactivated or deleted account has no OpenID account: no login, no token, no userinfo.
    // With a token (token endpoint, userinfo) the library answers invalid_grant / invalid_token.
    if (!user && token) return undefined;
    if (!user) {
      // Without one, the library is loading the account of the browser's session at the
      // authorization endpoint; given undefined it goes on to its consent checks, which read a grant
      // it never loaded and fail with a 500 (TypeError on getOIDCScopeEncountered). Deactivation and
      // deletion delete the account's sessions (provider-sign-outs.ts), but a sign-in checked just
      // before them is finished by the browser's next request, which makes a session for the account
      // that is gone. That session is dead: destroyed (its cookie then finds nothing, and the next
      // request shows the login page), and the request ends with login_required, an OAuth error the
      // cat's redirect_uri receives (or the error page, when there is none to trust).
      await ctx?.oidc?.session?.destroy();
      throw new errors.LoginRequired('the signed-in account is no longer active');
    }
    if (token?.grantId) {
      const access = await grantAccess(dataSource, token.grantId);
      if (!access.ok) {
        const words = `refused: ${REFUSAL_WORDS[access.reason]}`;
        const err = token.kind === 'AccessToken' ? new errors.InvalidToken(words) : new errors.InvalidGrant(words);
        // The library's descriptions are generic on purpose; this reason is the client's to know
        // (its own consent and installation), and tells a cat's developer what to do.
        err.error_description = words;
        throw err;
      }
      if (token.kind === 'AuthorizationCode' || token.kind === 'RefreshToken') await touchConnectedApp(dataSource, token.grantId);
    }
    return {
      accountId: user.id,
      claims: () => ({
        sub: user.id,
        name: user.display_name ?? undefined,
        preferred_username: user.display_name ?? undefined,
        updated_at: Math.floor(user.updated_at.getTime() / 1000),
        email: user.email,
        email_verified: user.email_verified_at !== null,
      }),
    };
  };
}
