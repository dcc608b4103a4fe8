import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Config } from '../../config/config';
import { AppError } from '../../errors/app-error';
import { normalizeEmail } from '../accounts/users';
import { recordEvent } from '../audit/audit-events';
import type { GrantWithUser } from '../principal';
import type { ClientInfo } from '../sessions/sessions';
import { sql } from '../sql';
import { resolveAccount } from './account-linking';
import type { ProviderIdentity } from './id-token-verifier';
import { lockUser } from './identities';
import type { FederationObserver } from './observer';
import { openIdClient, type OpenIdClient } from './openid-client-library';
import { openState, sealState, type RedirectState } from './redirect-state';
import type { SessionGrant } from './session-grant';

type Discovered = Awaited<ReturnType<OpenIdClient['discovery']>>;

/** A refusal on the callback, sent to the frontend as ?error=...&error_description=... (RFC 6749 §4.1.2.1). */
export class RedirectSignInError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'access_denied' | 'server_error' | 'temporarily_unavailable' | 'account_disabled',
    readonly description: string,
    readonly returnTo: string,
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
}

/** A spent handoff code lives this long: the frontend exchanges it right after the redirect. */
const HANDOFF_TTL_SECONDS = 120;

const hash = (code: string) => createHash('sha256').update(code, 'utf8').digest();

/** A native app's return URL (a private-use scheme, not http/https): another app may claim its scheme. */
export function isAppReturnUrl(url: string): boolean {
  return !/^https?:/i.test(url);
}

/** RFC 7636 §4.1–4.2: a verifier is 43–128 unreserved characters; S256's challenge is 43 base64url characters. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * The app's PKCE pair for our handoff code (RFC 7636, RFC 8252 §8.1): the code reaches whatever
 * app answers the return URL's scheme, so only the app holding the verifier can spend it. S256
 * only (`plain` would hand the secret to the same interceptor); required for a native app's
 * return URL, optional on the web, where it still makes a leaked code (history, logs) useless.
 */
export function codeChallengeFor(returnTo: string, challenge: string | undefined, method: string | undefined): string | undefined {
  if (challenge === undefined && method === undefined) {
    if (isAppReturnUrl(returnTo)) throw new AppError('code_challenge_required', 'A native app\'s return URL needs code_challenge (S256 of a random code_verifier) and code_challenge_method=S256.');
    return undefined;
  }
  if (method !== 'S256') throw new AppError('invalid_request', 'code_challenge_method must be S256 (plain is refused).');
  if (!challenge || !CHALLENGE.test(challenge)) throw new AppError('invalid_request', 'code_challenge must be the base64url SHA-256 of the code_verifier (43 characters).');
  return challenge;
}

/** Whether `verifier` is the one `challenge` was made from (S256). */
function verifies(challenge: string, verifier: string | undefined): boolean {
  return verifier !== undefined && VERIFIER.test(verifier) && createHash('sha256').update(verifier, 'ascii').digest('base64url') === challenge;
}

/**
 * Web redirect sign-in with any OpenID provider (issue 25 item 2), the protocol done by
 * openid-client: discovery from the issuer URL, authorization code with PKCE (S256), state and
 * nonce, the code exchange and the ID token's validation. The proven identity then takes the same
 * path as a native ID token (resolveAccount: linking and the pre-account-takeover defence), and the
 * frontend gets a one-time code to exchange for our token response, never tokens in the URL.
 */
export class RedirectSignIn {
  private readonly configurations = new Map<string, Promise<Discovered>>();

  constructor(private readonly deps: RedirectSignInDeps) {}

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

  /** Where the browser goes, and the sealed state cookie it carries back to the callback. */
  async start(providerName: string, returnTo: string, codeChallenge?: string): Promise<{ location: string; cookie: string; maxAgeSeconds: number }> {
    const provider = this.provider(providerName);
    const config = await this.configuration(provider);
    const codeVerifier = openIdClient.randomPKCECodeVerifier();
    const state: RedirectState = {
      provider: provider.name,
      state: openIdClient.randomState(),
      nonce: openIdClient.randomNonce(),
      codeVerifier,
      returnTo,
      codeChallenge,
      expiresAt: Math.floor(Date.now() / 1000) + this.deps.settings.stateTtlSeconds,
    };
    const location = openIdClient.buildAuthorizationUrl(config, {
      redirect_uri: this.deps.settings.callbackUrl,
      scope: 'openid email profile',
      code_challenge: await openIdClient.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: state.state,
      nonce: state.nonce,
    });
    return { location: location.href, cookie: sealState(this.deps.stateKeys[0]!, state), maxAgeSeconds: this.deps.settings.stateTtlSeconds };
  }

  /**
   * The callback: checks the state against the cookie, lets openid-client exchange the code and
   * validate the ID token, signs the identity in (or up, or links it) and answers the frontend URL
   * with a one-time code. Every refusal is a RedirectSignInError (to the frontend URL, never a 500).
   */
  async finish(callbackUrl: URL, cookie: unknown, client: ClientInfo): Promise<{ returnTo: string; code: string }> {
    const fallback = this.deps.settings.returnUrls[0]!;
    const pending = openState(this.deps.stateKeys, cookie);
    if (!pending) throw new RedirectSignInError('invalid_request', 'The sign-in was not started in this browser, or it took too long: start again.', fallback);
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
    } catch (err) {
      const unreachable = (err as Error | undefined)?.name === 'TypeError';
      throw new RedirectSignInError(unreachable ? 'temporarily_unavailable' : 'access_denied', unreachable ? 'The provider could not be reached; try again shortly.' : 'The provider\'s answer could not be verified.', returnTo);
    }
    const identity = identityOf(provider.name, claims, returnTo);
    const code = randomBytes(32).toString('base64url');
    await this.deps.dataSource.transaction(async (manager) => {
      const { user } = await resolveAccount(manager, identity, identity.name, client);
      if (!user.isActive) throw new RedirectSignInError('account_disabled', 'This account has been deactivated.', returnTo);
      // Codes never spent (the frontend closed) go here: the table only ever holds a few minutes of sign-ins.
      await sql(manager, `DELETE FROM auth.redirect_handoffs WHERE expires_at < now() - interval '1 hour'`);
      await sql(manager, `INSERT INTO auth.redirect_handoffs (code_hash, user_id, provider, expires_at, code_challenge) VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)`, [hash(code), user.id, provider.name, HANDOFF_TTL_SECONDS, pending.codeChallenge ?? null]);
    });
    return { returnTo, code };
  }

  /**
   * POST redirect/exchange: spends a handoff code (once) for a new session; 400 invalid_grant
   * otherwise. A code bound to a PKCE challenge also needs its verifier; a wrong one spends the
   * code all the same (RFC 6749 §4.1.2: single use), so an interceptor gets one try, never a session.
   */
  async exchange(code: string, client: ClientInfo, codeVerifier?: string): Promise<GrantWithUser> {
    const grant = await this.deps.dataSource.transaction(async (manager) => {
      const { rows } = await sql<{ user_id: string; provider: string; live: boolean; code_challenge: string | null }>(
        manager,
        `DELETE FROM auth.redirect_handoffs WHERE code_hash = $1 RETURNING user_id, provider, expires_at > now() AS live, code_challenge`,
        [hash(code)],
      );
      const row = rows.find((r) => r.live);
      if (!row) throw new AppError('invalid_grant', 'The sign-in code is unknown, spent or expired: sign in again.');
      // Returned, not thrown: the transaction must commit the DELETE that spent the code.
      if (row.code_challenge !== null && !verifies(row.code_challenge, codeVerifier)) return undefined;
      const user = await lockUser(manager, { id: row.user_id });
      if (!user?.isActive) throw new AppError('invalid_grant', 'The sign-in code is unknown, spent or expired: sign in again.');
      const issued = await this.deps.grant(manager, user, client);
      await recordEvent(manager, { type: 'login_succeeded', userId: user.id, sessionId: issued.sessionId, client, detail: { method: 'redirect', provider: row.provider } });
      return { ...issued, provider: row.provider };
    });
    if (!grant) throw new AppError('invalid_grant', 'The code_verifier does not match the code_challenge this sign-in started with: sign in again.');
    this.deps.observer?.signIn?.('redirect', grant.provider);
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
      found = openIdClient
        .discovery(issuer, provider.clientId, provider.clientSecret, undefined, insecure ? { execute: [openIdClient.allowInsecureRequests] } : undefined)
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
