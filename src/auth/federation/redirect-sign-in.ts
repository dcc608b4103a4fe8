// Over 250 lines on purpose: one flow (start, callback, exchange) whose steps share the provider's configuration and
// state; its pieces (state cookie, handoff challenge, Apple's client secret, page handoffs) have files of their own.
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Config } from '../../config/config';
import { AppError } from '../../errors/app-error';
import { normalizeEmail } from '../accounts/users';
import type { GrantWithUser } from '../principal';
import type { SignInPage } from '../oidc/sign-in/provider-redirect';
import type { ClientInfo } from '../sessions/sessions';
import { sql } from '../sql';
import { countResolution, resolveAccount } from './account-linking';
import type { ProviderIdentity } from './id-token-verifier';
import { lockUser } from './identities';
import type { FederationObserver } from './observer';
import { openIdClient, type OpenIdClient } from './openid-client-library';
import { appleClientAuth } from './apple-client-secret';
import { verifies } from './handoff-challenge';
import { handoffHash, PAGE_STATE_PREFIX, spendHandoff } from './page-handoffs';
import { openState, sealState, type RedirectState } from './redirect-state';
import type { SessionGrant } from './session-grant';
import { providerSessions, type MfaChallenger, type ProviderSessions } from './provider-sessions';

type Discovered = Awaited<ReturnType<OpenIdClient['discovery']>>;

/** A refusal on the callback, sent to the frontend as ?error=...&error_description=... (RFC 6749 §4.1.2.1). */
export class RedirectSignInError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'access_denied' | 'server_error' | 'temporarily_unavailable' | 'account_disabled',
    readonly description: string,
    readonly returnTo: string,
    /** A flow started on one of the service's sign-in pages (`unknown`: its state cookie is gone, so which one is not known). */
    public page?: SignInPage | 'unknown',
  ) {
    super(description);
  }
}

export interface RedirectSignInDeps {
  dataSource: DataSource;
  settings: Config['webSignIn'];
  /** The HMAC keys of the state cookie: the current one first (TOKEN_SECRET and its predecessors). */
  stateKeys: readonly Buffer[];
  grant: SessionGrant;
  observer?: FederationObserver | undefined;
  /** Issue 26: the MFA challenge for an account with a second factor (FactorSignIn). */
  challenger?: MfaChallenger | undefined;
}

/** A spent handoff code lives this long: the frontend exchanges it right after the redirect. */
const HANDOFF_TTL_SECONDS = 120;

/**
 * Web redirect sign-in with any OpenID provider (issue 25 item 2), the protocol done by
 * openid-client: discovery from the issuer URL, authorization code with PKCE (S256), state and
 * nonce, the code exchange and the ID token's validation. The proven identity then takes the same
 * path as a native ID token (resolveAccount: linking and the pre-account-takeover defence), and the
 * frontend gets a one-time code to exchange for our token response, never tokens in the URL.
 */
export class RedirectSignIn {
  private readonly configurations = new Map<string, Promise<Discovered>>();
  private readonly sessions: ProviderSessions;

  constructor(private readonly deps: RedirectSignInDeps) {
    this.sessions = providerSessions(deps);
  }

  get enabled(): boolean {
    return this.deps.settings.providers.length > 0;
  }

  /** An allow-listed frontend URL (exact match), or 400 return_to_not_allowed. */
  returnUrl(value: unknown): string {
    const { returnUrls } = this.deps.settings;
    if (typeof value === 'string' && returnUrls.includes(value)) return value;
    if (value === undefined && returnUrls.length === 1) return returnUrls[0]!;
    throw new AppError('return_to_not_allowed', 'return_to must be one of the frontend URLs configured in WEB_SIGN_IN_RETURN_URLS.');
  }

  /**
   * Where the browser goes, and the sealed state cookie it carries back to the callback. `page`:
   * started on one of the service's sign-in pages, where the callback sends the browser back.
   * `crossSitePost`: the provider answers by form_post, so the cookie must reach a cross-site POST.
   */
  async start(providerName: string, returnTo: string, codeChallenge?: string, page?: SignInPage): Promise<{ location: string; cookie: string; maxAgeSeconds: number; crossSitePost: boolean }> {
    const provider = this.provider(providerName);
    const config = await this.configuration(provider);
    const codeVerifier = openIdClient.randomPKCECodeVerifier();
    const state: RedirectState = {
      provider: provider.name,
      state: `${page ? PAGE_STATE_PREFIX : ''}${openIdClient.randomState()}`,
      nonce: openIdClient.randomNonce(),
      codeVerifier,
      returnTo,
      codeChallenge,
      page,
      expiresAt: Math.floor(Date.now() / 1000) + this.deps.settings.stateTtlSeconds,
    };
    const location = openIdClient.buildAuthorizationUrl(config, {
      redirect_uri: this.deps.settings.callbackUrl,
      scope: provider.scope,
      ...(provider.responseMode === 'form_post' ? { response_mode: 'form_post' } : {}),
      code_challenge: await openIdClient.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: state.state,
      nonce: state.nonce,
    });
    return { location: location.href, cookie: sealState(this.deps.stateKeys[0]!, state), maxAgeSeconds: this.deps.settings.stateTtlSeconds, crossSitePost: provider.responseMode === 'form_post' };
  }

  /**
   * The callback: checks the state against the cookie, lets openid-client exchange the code and
   * validate the ID token, signs the identity in (or up, or links it) and answers the frontend URL
   * with a one-time code (or, for a flow started on one of the service's sign-in pages, that page
   * with a code bound to it). Every refusal is a RedirectSignInError (to the frontend URL or the
   * page, never a 500). `callbackUrl` carries the answer's parameters, the posted ones too
   * (form_post); `posted.firstSignInName`: the name Apple posts beside them on a first sign-in.
   */
  async finish(callbackUrl: URL, cookie: unknown, client: ClientInfo, posted: { firstSignInName?: string | undefined } = {}): Promise<{ returnTo: string; code: string; page?: SignInPage | undefined }> {
    const fallback = this.deps.settings.returnUrls[0]!;
    const pending = openState(this.deps.stateKeys, cookie);
    if (!pending) {
      const fromPage = callbackUrl.searchParams.get('state')?.startsWith(PAGE_STATE_PREFIX) ? 'unknown' : undefined;
      throw new RedirectSignInError('invalid_request', 'The sign-in was not started in this browser, or it took too long: start again.', fallback, fromPage);
    }
    try {
      return { ...(await this.complete(callbackUrl, pending, client, posted.firstSignInName)), page: pending.page };
    } catch (err) {
      // A page's flow goes back to its page with the refusal, whatever went wrong (the unexpected kept as the cause, to be logged).
      if (err instanceof RedirectSignInError) err.page = pending.page;
      else if (pending.page) throw Object.assign(new RedirectSignInError('server_error', 'The sign-in could not be completed; try again.', pending.returnTo, pending.page), { cause: err });
      throw err;
    }
  }

  private async complete(callbackUrl: URL, pending: RedirectState, client: ClientInfo, firstSignInName: string | undefined): Promise<{ returnTo: string; code: string }> {
    const { returnTo } = pending;
    const error = callbackUrl.searchParams.get('error');
    if (callbackUrl.searchParams.get('state') !== pending.state) {
      throw new RedirectSignInError('invalid_request', 'The state does not match the sign-in this browser started.', returnTo);
    }
    if (error) {
      const description = callbackUrl.searchParams.get('error_description') ?? '';
      throw new RedirectSignInError('access_denied', `The provider refused the sign-in (${error.slice(0, 40)}${description ? `: ${description.slice(0, 120)}` : ''}).`, returnTo);
    }
    const provider = this.settingsOf(pending.provider, returnTo);
    let claims: Record<string, unknown>;
    try {
      const config = await this.configuration(provider);
      const currentUrl = new URL(this.deps.settings.callbackUrl);
      currentUrl.search = callbackUrl.search;
      const tokens = await openIdClient.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = (tokens.claims() ?? {}) as Record<string, unknown>;
      // Apple never puts the name in the ID token; it posts it beside the code on the first sign-in only.
      if (claims.name === undefined && firstSignInName) claims = { ...claims, name: firstSignInName };
    } catch (err) {
      const unreachable = (err as Error | undefined)?.name === 'TypeError';
      throw new RedirectSignInError(unreachable ? 'temporarily_unavailable' : 'access_denied', unreachable ? 'The provider could not be reached; try again shortly.' : 'The provider\'s answer could not be verified.', returnTo);
    }
    const identity = identityOf(provider.name, claims, returnTo);
    const code = randomBytes(32).toString('base64url');
    const resolved = await this.deps.dataSource.transaction(async (manager) => {
      const resolved = await resolveAccount(manager, identity, identity.name, client);
      const { user } = resolved;
      if (!user.isActive) throw new RedirectSignInError('account_disabled', 'This account has been deactivated.', returnTo);
      // Codes never spent (the frontend closed) go here: the table only ever holds a few minutes of sign-ins.
      await sql(manager, `DELETE FROM auth.redirect_handoffs WHERE expires_at < now() - interval '1 hour'`);
      await sql(manager, `INSERT INTO auth.redirect_handoffs (code_hash, user_id, provider, expires_at, code_challenge) VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)`, [handoffHash(code, pending.page), user.id, provider.name, HANDOFF_TTL_SECONDS, pending.codeChallenge ?? null]);
      return resolved;
    });
    countResolution(this.deps.observer, resolved);
    return { returnTo, code };
  }

  /**
   * POST redirect/exchange: spends a handoff code (once) for a new session; 400 invalid_grant
   * otherwise. A code bound to a PKCE challenge also needs its verifier; a wrong one spends the
   * code all the same (RFC 6749 §4.1.2: single use), so an interceptor gets one try, never a session.
   * An account with a second factor gets 403 mfa_required for the code instead (provider-sessions.ts).
   */
  async exchange(code: string, client: ClientInfo, codeVerifier?: string): Promise<GrantWithUser> {
    const spent = await this.deps.dataSource.transaction(async (manager) => {
      const row = await spendHandoff(manager, code);
      if (!row) throw new AppError('invalid_grant', 'The sign-in code is unknown, spent or expired: sign in again.');
      // Returned, not thrown: the transaction must commit the DELETE that spent the code (so must mfa_required's).
      if (row.codeChallenge !== null && !verifies(row.codeChallenge, codeVerifier)) return undefined;
      const user = await lockUser(manager, { id: row.userId });
      if (!user?.isActive) throw new AppError('invalid_grant', 'The sign-in code is unknown, spent or expired: sign in again.');
      const via = { method: 'redirect', provider: row.provider } as const;
      return { user, via, grant: await this.sessions.inTransaction(manager, user, client, via) };
    });
    if (!spent) throw new AppError('invalid_grant', 'The code_verifier does not match the code_challenge this sign-in started with: sign in again.');
    const grant = spent.grant ?? (await this.sessions.afterCommit(spent.user, client, spent.via));
    this.deps.observer?.signIn?.('redirect', spent.via.provider);
    return grant;
  }

  private provider(name: string): Config['webSignIn']['providers'][number] {
    const found = this.deps.settings.providers.find((p) => p.name === name);
    if (!found) {
      const names = this.deps.settings.providers.map((p) => p.name).join(', ') || 'none configured';
      throw new AppError('unknown_provider', `No redirect sign-in provider named ${JSON.stringify(name).slice(0, 40)} is configured (${names}).`);
    }
    return found;
  }

  private settingsOf(name: string, returnTo: string): Config['webSignIn']['providers'][number] {
    try {
      return this.provider(name);
    } catch {
      throw new RedirectSignInError('invalid_request', 'The provider of this sign-in is no longer configured.', returnTo);
    }
  }

  /** Discovery once per provider; a failed discovery is forgotten so the next sign-in tries again. */
  private configuration(provider: Config['webSignIn']['providers'][number]): Promise<Discovered> {
    let found = this.configurations.get(provider.name);
    if (!found) {
      const issuer = new URL(provider.issuer);
      const insecure = issuer.protocol === 'http:';
      // Apple: no static secret, a JWT signed per code exchange (apple-client-secret.ts), sent as client_secret_post.
      const auth = provider.appleClientSecret ? appleClientAuth(provider.appleClientSecret, provider.clientId, provider.issuer) : undefined;
      found = openIdClient
        .discovery(issuer, provider.clientId, provider.clientSecret, auth, insecure ? { execute: [openIdClient.allowInsecureRequests] } : undefined)
        .catch((err: unknown) => {
          this.configurations.delete(provider.name);
          throw new AppError('provider_unavailable', `The provider's discovery document could not be fetched (${(err as Error).name}); try again shortly.`);
        });
      this.configurations.set(provider.name, found);
    }
    return found;
  }
}

/** The identity the validated ID token proves; an address the provider did not verify links nothing. */
function identityOf(provider: string, claims: Record<string, unknown>, returnTo: string): ProviderIdentity {
  const verified = claims.email_verified === true || claims.email_verified === 'true';
  if (typeof claims.email !== 'string' || claims.email === '' || !verified) {
    throw new RedirectSignInError('access_denied', 'The provider did not prove an email address (email_verified).', returnTo);
  }
  const name = typeof claims.name === 'string' && claims.name.trim() !== '' ? claims.name.trim().slice(0, 100) : null;
  return {
    provider,
    subject: String(claims.sub),
    email: normalizeEmail(claims.email),
    isPrivateEmail: claims.is_private_email === true || claims.is_private_email === 'true',
    name,
  };
}
