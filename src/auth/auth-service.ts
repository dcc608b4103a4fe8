// Over 250 lines on purpose: the one facade of the grants (register, login, refresh, authenticate, logout),
// whose rules live in accounts/, sessions/, tokens/, throttling/ and audit/. New sign-in methods get their own folder.
import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../config/config';
import type { Logger } from '../logging/logger';
import { User as UserEntity, type User, type UserRole } from '../db/entities/index';
import { AppError } from '../errors/app-error';
import { invalidToken, signAccessToken, verifyAccessToken, type SessionAuthentication } from './tokens/access-tokens';
import type { AuthenticationMethod, ProviderSignIn } from './oidc/authentication-context';
import { mfaRequired } from './factors/mfa-required';
import type { AuthKeys } from './tokens/auth-keys';
import type { TokenSecrets } from './tokens/token-secret';
import { VerifiedAccessTokens } from './tokens/verified-access-tokens';
import type { LoginThrottle } from './throttling/login-throttle';
import { createAuthThrottles } from './throttling/auth-throttles';
import { hashEmailForAudit, recordEvent, recordThrottledLogin, type LoginFailureReason } from './audit/audit-events';
import { recordLoginFailure, recordPageSignIn, type SignInRecorder } from './audit/sign-in-events';
import { createRepeatGuard, type RepeatGuard } from './audit/repeat-guard';
import { createPasswordHasher, type PasswordHasher } from './accounts/passwords';
import type { RegistrationThrottle } from './throttling/registration-throttle';
import { publicUser, type PublicUser } from './accounts/public-user';
import { findUserByEmail, insertUser, normalizeEmail, updateUser, type UserChanges } from './accounts/users';
import { checkNewPasswordAccount } from './accounts/registration-checks';
import { revokeOtherSessions, revokeSession, revokeUserSessions } from './sessions/revocation';
import { rotateRefreshToken } from './sessions/rotation';
import { findLiveSession, findRefreshTokenOwner, startSession, type ClientInfo, type SessionSettings, type VerifiedSignIn } from './sessions/sessions';
import type { PasswordCheckGate } from './throttling/password-check-gate';
import type { WorkGate } from './throttling/work-gate';
import type { AuthObserver } from './observer';
import type { GrantWithUser, Principal, TokenGrant } from './principal';

export type LogoutScope = 'local' | 'global' | 'others';

export interface Registration {
  email: string;
  password: string;
  display_name?: string | undefined;
  role?: UserRole | undefined;
  locale?: string | null | undefined; // issue 30: the language of the user's mail, chosen by the route (body or Accept-Language)
}

/** Roles anyone may choose at registration; `admin` is only ever granted by an admin. */
export const SELF_SERVICE_ROLES: readonly UserRole[] = ['player', 'developer'];

export interface AuthServiceDeps {
  dataSource: DataSource;
  keys: AuthKeys;
  auth: Config['auth'];
  hasher?: PasswordHasher;
  throttle?: LoginThrottle;
  registrationThrottle?: RegistrationThrottle;
  /** Receives security events (refresh-token reuse) for monitoring. */
  logger?: Logger;
  observer?: AuthObserver;
  /**
   * Runs in the registration's transaction (the verification mail goes to the outbox with the new
   * user, see account-service.ts); `afterCommit` runs once it has committed.
   */
  onRegistered?: { inTransaction(manager: EntityManager, user: User): Promise<void>; afterCommit(): void };
  /**
   * Issue 26: after a correct password, the MFA challenge when the account has a second factor
   * (src/auth/factors): login then throws mfa_required carrying it instead of issuing tokens.
   */
  secondFactor?: { challengeFor(userId: string, methods: AuthenticationMethod[]): Promise<Record<string, unknown> | undefined> };
  /** Refuses an address registration may not use (EMAIL_REFUSED_TLDS, accounts/email-policy.ts); throws AppError. */
  emailPolicy?: (normalizedEmail: string) => void;
  /** Bounds login_throttled events (audit/repeat-guard.ts); one over the login window is made when absent. */
  repeatGuard?: RepeatGuard;
  /** Issue 30 (src/auth/abuse): the breached-password check at registration; the new-device notice, in each sign-in's transaction (its mail waits for the sender's next poll); the CAPTCHA of a suspicious password sign-in. */
  breachedPasswords?: (password: string, flow: 'registration') => Promise<void>;
  onSignedIn?: SignInRecorder['onSignedIn'];
  loginCaptcha?: (email: string, ip: string, token: string | undefined) => Promise<void>;
}

/**
 * The auth rules, free of HTTP: route handlers validate input, call these, and map results
 * and AppErrors to responses.
 */
export class AuthService {
  private readonly dataSource: DataSource;
  private readonly keys: AuthKeys;
  private readonly auth: Config['auth'];
  private readonly hasher: PasswordHasher;
  /** Failed-password counters per account and address: login, and the password checks of the account flows. */
  readonly throttle: LoginThrottle;
  private readonly registrationThrottle: RegistrationThrottle;
  /** Bounds on bcrypt work in flight (see work-gate.ts): registrations get a small share so logins keep threads. */
  readonly registrationHashes: WorkGate;
  readonly passwordChecks: PasswordCheckGate;
  private readonly sessionSettings: SessionSettings;
  private readonly logger: Logger | undefined;
  private readonly tokenSecrets: TokenSecrets;
  private readonly verifiedAccessTokens = new VerifiedAccessTokens();
  private readonly observer: AuthObserver;
  private readonly onRegistered: AuthServiceDeps['onRegistered'];
  private readonly secondFactor: AuthServiceDeps['secondFactor'];
  private readonly emailPolicy: (normalizedEmail: string) => void;
  private readonly repeatGuard: RepeatGuard;

  constructor(private readonly deps: AuthServiceDeps) {
    this.observer = deps.observer ?? {};
    this.onRegistered = deps.onRegistered;
    this.secondFactor = deps.secondFactor;
    this.emailPolicy = deps.emailPolicy ?? (() => {});
    this.repeatGuard =
      deps.repeatGuard ?? createRepeatGuard(deps.dataSource, { windowSeconds: deps.auth.loginThrottleWindowSeconds, ipv6PrefixLength: deps.auth.clientIpv6Prefix });
    this.dataSource = deps.dataSource;
    this.keys = deps.keys;
    this.tokenSecrets = { current: deps.keys.tokenSecret, previous: deps.keys.previousTokenSecrets };
    this.logger = deps.logger;
    this.auth = deps.auth;
    this.hasher = deps.hasher ?? createPasswordHasher(deps.auth.bcryptCost);
    const throttles = createAuthThrottles(deps.dataSource, deps.auth);
    this.throttle = deps.throttle ?? throttles.login();
    this.registrationThrottle = deps.registrationThrottle ?? throttles.registration();
    this.registrationHashes = throttles.registrationHashes;
    this.passwordChecks = throttles.passwordChecks;
    this.sessionSettings = {
      refreshTokenTtlSeconds: deps.auth.refreshTokenTtlSeconds,
      reuseIntervalSeconds: deps.auth.refreshReuseIntervalSeconds,
      maxLifetimeSeconds: deps.auth.sessionMaxLifetimeSeconds,
    };
  }

  /**
   * Creates an account and logs it in. Always a player at first: a request for the developer role
   * is kept and granted when the email is verified (accounts/developer-role.ts, issue 22 M5).
   * Throttled per client address and network before anything else; a taken email is answered
   * before any bcrypt work, and the hash itself runs under the registration bound (503 server_busy
   * beyond it).
   */
  async register(input: Registration, client: ClientInfo & { ip: string }): Promise<GrantWithUser> {
    const role = input.role ?? 'player';
    if (!SELF_SERVICE_ROLES.includes(role)) {
      throw new AppError('role_not_allowed', `Registration may ask for the role player or developer, not ${role}.`, {
        fields: { invalid_params: [{ name: 'role', reason: 'must be player or developer' }] },
      });
    }
    await this.checkNewPasswordAccount(input, client.ip);
    const passwordHash = await this.registrationHashes.run(() => this.hasher.hash(input.password));
    const { user, issued } = await this.dataSource.transaction(async (manager) => {
      const user = await insertUser(manager, {
        email: input.email,
        passwordHash,
        displayName: input.display_name ?? null,
        role: 'player',
        developerRequested: role === 'developer',
        locale: input.locale ?? null,
      });
      await this.onRegistered?.inTransaction(manager, user);
      const issued = await startSession(manager, user.id, client, this.sessionSettings, this.tokenSecrets);
      const requested = role === 'developer' ? { requested_role: role } : {};
      await recordEvent(manager, { type: 'user_registered', userId: user.id, sessionId: issued.sessionId, client, detail: { role: user.role, ...requested } });
      return { user, issued };
    });
    this.onRegistered?.afterCommit();
    return { ...this.grant(user.id, user.role, user.emailVerifiedAt !== null, issued), user: publicUser(user) };
  }

  /** The defences of a new password account (accounts/registration-checks.ts), shared with a guest's upgrade. */
  checkNewPasswordAccount(input: { email: string; password: string }, ip: string): Promise<void> {
    const { dataSource, registrationThrottle: throttle, emailPolicy, observer } = this;
    return checkNewPasswordAccount({ dataSource, throttle, emailPolicy, observer, breachedPasswords: this.deps.breachedPasswords }, input, ip);
  }

  /**
   * Password login. The throttle counts the attempt first; an unknown email costs the same
   * bcrypt work as a wrong password, and both answer invalid_credentials.
   */
  async login(email: string, password: string, client: ClientInfo & { ip: string }, captchaToken?: string): Promise<GrantWithUser> {
    const user = await this.checkSignInPassword(email, password, client, captchaToken);
    const challenge = await this.secondFactor?.challengeFor(user.id, ['pwd']);
    if (challenge) {
      // Not a failure, but no tokens either: the stable code tells the client to ask for the second factor.
      throw mfaRequired(challenge, 'The password is right');
    }
    return this.startVerifiedSession(user, ['pwd'], client);
  }

  /** startVerifiedSession for a user named by a passkey or an MFA challenge: active accounts only. */
  async startVerifiedSessionFor(
    userId: string,
    methods: AuthenticationMethod[],
    client: ClientInfo & { ip: string },
    completing?: VerifiedSignIn,
  ): Promise<GrantWithUser> {
    const user = await this.dataSource.getRepository(UserEntity).findOneBy({ id: userId });
    if (!user?.isActive || user.deletedAt) throw new AppError('account_disabled', 'This account has been deactivated.');
    return this.startVerifiedSession(user, methods, client, completing);
  }

  /**
   * Starts the session of a user whose sign-in was verified by `methods` (a password, the second
   * factor of an MFA challenge, a passkey), with its login_succeeded event in the same transaction.
   * An MFA challenge's completion (`completing`, see VerifiedSignIn) runs first there.
   */
  async startVerifiedSession(user: User, methods: AuthenticationMethod[], client: ClientInfo & { ip: string }, completing: VerifiedSignIn = {}): Promise<GrantWithUser> {
    const { inTransaction, providerSignIn } = completing;
    const issued = await this.dataSource.transaction(async (manager) => {
      await inTransaction?.(manager);
      const started = await startSession(manager, user.id, client, this.sessionSettings, this.tokenSecrets, methods);
      const detail = methods.length === 1 && methods[0] === 'pwd' ? undefined : { amr: started.authentication.amr, ...(providerSignIn && { method: providerSignIn.method, provider: providerSignIn.provider }) };
      await recordEvent(manager, { type: 'login_succeeded', userId: user.id, sessionId: started.sessionId, client, detail });
      await this.deps.onSignedIn?.(manager, user, started.sessionId, client);
      return started;
    });
    if (providerSignIn) this.observer.providerSignIn?.(providerSignIn);
    else this.observer.loginOutcome?.('succeeded');
    return { ...this.grant(user.id, user.role, user.emailVerifiedAt !== null, issued), user: publicUser(user) };
  }

  /** Every sign-in's password check (login(), the provider's pages): the CAPTCHA a suspicious one needs, then checkPassword. Success is recorded by who finishes the sign-in. */
  async checkSignInPassword(email: string, password: string, client: ClientInfo & { ip: string }, captchaToken: string | undefined): Promise<User> {
    await this.deps.loginCaptcha?.(email, client.ip, captchaToken);
    return this.checkPassword(email, password, client);
  }

  /** The password check without a session or a CAPTCHA (a session's holder proving it again; sign-ins use checkSignInPassword): throttled, bcrypt work for unknown emails too, login_failed events, account_disabled only to who knows the password. */
  async checkPassword(email: string, password: string, client: ClientInfo & { ip: string }): Promise<User> {
    const normalized = normalizeEmail(email);
    const checked = await this.passwordChecks.run(async () => {
      try {
        await this.throttle.attempt(normalized, client.ip);
      } catch (err) {
        if (err instanceof AppError && err.code === 'rate_limited') {
          this.observer.throttled?.('login');
          this.observer.loginOutcome?.('throttled');
          const retryAfter = Number(err.extra.fields?.retry_after) || undefined;
          // Once per (email, address) per window (issue 22 M7): a client retrying in a loop does not bury the account's history.
          const emailHash = this.emailHash(normalized);
          if (await this.repeatGuard.first('login_throttled', emailHash, client.ip)) {
            await recordThrottledLogin(this.dataSource, normalized, emailHash, client, retryAfter);
          }
        }
        throw err;
      }
      const found = await findUserByEmail(this.dataSource, normalized);
      const matches = await this.hasher.verify(password, found?.passwordHash ?? null);
      return { found, matches };
    }, client);
    const { found, matches } = checked;
    if (!found || !matches) {
      this.passwordChecks.failed(client);
      await this.recordLoginFailure(found ? 'wrong_password' : 'unknown_email', found?.id, normalized, client);
      throw new AppError('invalid_credentials', 'The email or password is wrong.');
    }
    const user = found;
    await this.throttle.succeeded(normalized, client.ip);
    // Only someone who knows the password learns that the account is disabled.
    if (!user.isActive) {
      await this.recordLoginFailure('account_disabled', user.id, normalized, client);
      throw new AppError('account_disabled', 'This account has been deactivated.');
    }
    return user;
  }

  /** login_succeeded for a sign-in finished on the OpenID provider's login page or the /device page. */
  async recordPageSignIn(userId: string, methods: AuthenticationMethod[], client: ClientInfo, via: 'oidc' | 'device', providerSignIn?: ProviderSignIn): Promise<void> {
    await recordPageSignIn(this.signInRecorder(), { userId, methods, client, via, providerSignIn });
  }

  private recordLoginFailure(reason: LoginFailureReason, userId: string | undefined, email: string, client: ClientInfo): Promise<void> {
    return recordLoginFailure(this.signInRecorder(), { reason, userId, email, client });
  }

  private signInRecorder(): SignInRecorder {
    return { dataSource: this.dataSource, observer: this.observer, tokenSecret: this.keys.tokenSecret, onSignedIn: this.deps.onSignedIn };
  }

  private emailHash(normalizedEmail: string): string {
    return hashEmailForAudit(this.keys.tokenSecret, normalizedEmail);
  }

  /** Rotates a refresh token (see sessions/rotation.ts for reuse and the reuse interval). */
  async refresh(refreshToken: string, client: ClientInfo = {}): Promise<TokenGrant> {
    const rotated = await rotateRefreshToken(
      this.dataSource,
      this.tokenSecrets,
      refreshToken,
      this.sessionSettings,
      (reuse) => {
        // A replayed refresh token means it leaked, or a client lost a response: worth an alert either way.
        this.logger?.warn({ event: 'refresh_token_reuse', session_id: reuse.sessionId, user_id: reuse.userId }, 'refresh token reuse: session revoked');
        this.observer.refreshTokenReused?.();
      },
      // The client here is whoever replayed the token: often the thief, which is what an investigation needs.
      (manager, reuse) =>
        recordEvent(manager, { type: 'refresh_token_reused', userId: reuse.userId, sessionId: reuse.sessionId, client, detail: { revoked_session_id: reuse.sessionId } }),
    );
    return this.grant(rotated.userId, rotated.role, rotated.emailVerified, rotated);
  }

  /**
   * Verifies a bearer access token and that its session is live and its user active. The other
   * services verify only the token (its lifetime bounds how long a revoked session lingers there).
   */
  async authenticate(accessToken: string): Promise<Principal> {
    let claims = this.verifiedAccessTokens.get(accessToken);
    if (!claims) {
      claims = verifyAccessToken(this.keys.signingKeys, this.auth, accessToken);
      this.verifiedAccessTokens.add(accessToken, claims);
    }
    const session = await findLiveSession(this.dataSource, claims.sid, claims.sub);
    if (!session) throw invalidToken('The session of this access token has ended.');
    return { userId: session.userId, sessionId: session.sessionId, role: session.role, user: session.user, claims };
  }

  /**
   * Ends the session of an access token or of a refresh token; with `global` every session of its
   * user, with `others` every one but this (Supabase's three scopes). Ending a session that has
   * already ended is not an error, and records no event.
   */
  async logout(credential: { accessToken: string } | { refreshToken: string }, scope: LogoutScope, client: ClientInfo = {}): Promise<void> {
    let userId: string;
    let sessionId: string;
    if ('accessToken' in credential) {
      if (scope === 'local') {
        const claims = verifyAccessToken(this.keys.signingKeys, this.auth, credential.accessToken, { allowExpired: true });
        await this.endSessions({ userId: claims.sub, sessionId: claims.sid, scope, client });
        return;
      }
      const principal = await this.authenticate(credential.accessToken);
      ({ userId, sessionId } = principal);
    } else {
      const owner = await findRefreshTokenOwner(this.dataSource, this.tokenSecrets, credential.refreshToken);
      if (!owner) return;
      if (scope === 'local') {
        await this.endSessions({ userId: owner.userId, sessionId: owner.sessionId, scope, client });
        return;
      }
      // Ending the other sessions takes the current token of a live session: an old token (rotated,
      // or from an ended session) must not let whoever found it log the user out everywhere.
      if (!owner.sessionLive) throw new AppError('invalid_grant', 'The refresh token belongs to a session that has ended.');
      if (!owner.current) throw new AppError('invalid_grant', `Scope ${scope} needs the current refresh token; this one has been rotated or has expired.`);
      ({ userId, sessionId } = owner);
    }
    await this.endSessions({ userId, sessionId, scope, client });
  }

  /** The session changes of a logout and its event, in one transaction; no event when nothing ended. */
  private async endSessions({ userId, sessionId, scope, client }: { userId: string; sessionId: string; scope: LogoutScope; client: ClientInfo }): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const ended =
        scope === 'local'
          ? Number(await revokeSession(manager, sessionId, 'logout'))
          : scope === 'global'
            ? await revokeUserSessions(manager, userId, 'logout_global')
            : await revokeOtherSessions(manager, userId, sessionId, 'logout_others');
      if (ended > 0) await recordEvent(manager, { type: 'logout', userId, sessionId, client, detail: { scope, sessions_ended: ended } });
    });
  }

  /** GET /me: the user was read with the session check in authenticate(); no second query. */
  me(principal: Principal): PublicUser {
    return principal.user;
  }

  /** Admin-only operations are judged by the role in the database now, not the token's claim. */
  assertAdmin(principal: Principal): void {
    if (principal.role !== 'admin') throw new AppError('forbidden', 'Only an admin may do this.');
  }

  /** PATCH users/{id}: an admin changes a user's role or deactivates them (ending their sessions). */
  async changeUser(principal: Principal, userId: string, changes: UserChanges, client: ClientInfo = {}): Promise<PublicUser> {
    this.assertAdmin(principal);
    return publicUser(await updateUser(this.dataSource, userId, changes, { actorId: principal.userId, sessionId: principal.sessionId, client }));
  }

  /** A new access token for a session that stays as it is (POST me/developer: the new role at once). */
  accessToken(subject: { userId: string; sessionId: string; role: UserRole; emailVerified: boolean; authentication?: SessionAuthentication | undefined }): {
    accessToken: string;
    expiresIn: number;
  } {
    const accessToken = signAccessToken(
      this.keys.signingKeys,
      { issuer: this.auth.issuer, audience: this.auth.audience, ttlSeconds: this.auth.accessTokenTtlSeconds },
      subject,
    );
    return { accessToken, expiresIn: this.auth.accessTokenTtlSeconds };
  }

  private grant(
    userId: string,
    role: UserRole,
    emailVerified: boolean,
    issued: { sessionId: string; refreshToken: string; authentication: SessionAuthentication },
  ): TokenGrant {
    const { accessToken, expiresIn } = this.accessToken({ userId, sessionId: issued.sessionId, role, emailVerified, authentication: issued.authentication });
    return { accessToken, expiresIn, refreshToken: issued.refreshToken, sessionId: issued.sessionId };
  }
}
