import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config/config';
import type { User } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { recordEvent } from '../audit/audit-events';
import type { PasswordHasher } from '../accounts/passwords';
import { emailTaken, insertUser, normalizeEmail } from '../accounts/users';
import type { CaptchaVerifier } from '../abuse/captcha';
import { findIdentityForUpdate, identityInUse, insertIdentity, lockUser } from '../federation/identities';
import type { FederationService, IdTokenSignIn } from '../federation/federation-service';
import type { FederationObserver } from '../federation/observer';
import type { SessionGrant } from '../federation/session-grant';
import type { GrantWithUser, Principal } from '../principal';
import type { ClientInfo } from '../sessions/sessions';
import { sql } from '../sql';
import { bumpSecurityStamp } from '../accounts/security-stamp';
import { clientAddressKey } from '../throttling/client-address';
import { consumeAll, rateLimiterFactory } from '../throttling/rate-limits';
import type { WorkGate } from '../throttling/work-gate';

/**
 * A guest's address: users.email is NOT NULL and UNIQUE, and `.invalid` (RFC 2606) can never be
 * delivered to or registered, so the placeholder collides with nobody. The API shows null.
 */
export const GUEST_EMAIL_DOMAIN = 'guest.invalid';

export interface PasswordUpgrade {
  email: string;
  password: string;
  display_name?: string | undefined;
  captcha_token?: string | undefined;
  /** The language the player chose (issue 30); else the client's (ClientInfo.locale) when the guest has none. */
  locale?: string | undefined;
}

/** A guest's client; `locale` is what its Accept-Language picks among the mail locales (issue 30). */
export type GuestClient = ClientInfo & { ip: string };

export interface GuestDeps {
  dataSource: DataSource;
  settings: Config['federation']['guests'];
  ipv6PrefixLength: number;
  grant: SessionGrant;
  federation: FederationService;
  hasher: PasswordHasher;
  hashes: WorkGate;
  /**
   * What a new password account passes at POST register (AuthService.checkNewPasswordAccount: password and
   * address policies, the registration throttle, a taken address, the breached-password check): an
   * upgrade is a registration, and must not be the way around them.
   */
  checkNewPasswordAccount(input: { email: string; password: string }, ip: string): Promise<void>;
  /** The CAPTCHA (issue 30): action `guest` for a new guest, `register` for a password upgrade, as the register form. */
  captcha: Pick<CaptchaVerifier, 'verify'>;
  /** The verification mail of a new address, in the upgrade's transaction (account-service.ts). */
  onRegistered(manager: EntityManager, user: User): Promise<void>;
  afterCommit(): void;
  observer?: FederationObserver | undefined;
}

/**
 * Guest players (issue 25): an account with no email and no password, role `guest`, that can
 * play at once and later becomes a player by a password or a provider sign-in, keeping its id,
 * so whatever other services stored for it stays its own.
 */
export class GuestService {
  private readonly perIp;

  constructor(private readonly deps: GuestDeps) {
    this.perIp = rateLimiterFactory(deps.dataSource)('guest_ip', deps.settings.maxPerIp, deps.settings.windowSeconds);
  }

  /**
   * POST guest: a new guest and its session; limited per client address more tightly than
   * registration, and behind the CAPTCHA when CAPTCHA_REQUIRED_FOR has `guest` (a guest is an
   * account, with tokens other services accept unless they refuse guests).
   */
  async signIn(client: GuestClient, captchaToken?: string): Promise<GrantWithUser> {
    await this.deps.captcha.verify(captchaToken, 'guest', client.ip);
    await consumeAll('Too many guest sign-ins from this address', [[this.perIp, clientAddressKey(client.ip, this.deps.ipv6PrefixLength)]]);
    const grant = await this.deps.dataSource.transaction(async (manager) => {
      const user = await insertUser(manager, { email: `guest-${randomUUID()}@${GUEST_EMAIL_DOMAIN}`, passwordHash: null, displayName: null, role: 'guest' });
      const issued = await this.deps.grant(manager, user, client);
      await recordEvent(manager, { type: 'guest_created', userId: user.id, sessionId: issued.sessionId, client });
      return issued;
    });
    this.deps.observer?.guest?.('created');
    this.deps.observer?.signIn?.('guest', 'none');
    return grant;
  }

  /** POST guest/upgrade with a password: the guest gets an address (to verify by mail) and a password, same id. */
  async upgradeWithPassword(principal: Principal, input: PasswordUpgrade, client: GuestClient): Promise<GrantWithUser> {
    assertGuest(principal);
    await this.deps.captcha.verify(input.captcha_token, 'register', client.ip);
    await this.deps.checkNewPasswordAccount(input, client.ip);
    const email = normalizeEmail(input.email);
    const passwordHash = await this.deps.hashes.run(() => this.deps.hasher.hash(input.password));
    const grant = await this.upgrade(principal, client, { method: 'password' }, async (manager, user) => {
      await this.setAccount(manager, user, { email, passwordHash, verified: false, displayName: input.display_name ?? null, locale: input.locale, acceptedLocale: client.locale });
      await this.deps.onRegistered(manager, user);
    });
    this.deps.afterCommit();
    return grant;
  }

  /** POST guest/upgrade with a provider's ID token: the guest takes the provider's proven address and identity. */
  async upgradeWithIdToken(principal: Principal, input: IdTokenSignIn, client: GuestClient): Promise<GrantWithUser> {
    assertGuest(principal);
    const identity = await this.deps.federation.verify(input);
    return this.upgrade(principal, client, { method: 'id_token', provider: identity.provider }, async (manager, user) => {
      if (await findIdentityForUpdate(manager, identity.provider, identity.subject)) throw identityInUse();
      await this.setAccount(manager, user, {
        email: identity.email,
        passwordHash: null,
        verified: true,
        displayName: input.display_name?.trim() || identity.name,
        locale: input.locale,
        acceptedLocale: client.locale,
      });
      await insertIdentity(manager, user.id, identity);
    });
  }

  private async upgrade(
    principal: Principal,
    client: ClientInfo,
    detail: Record<string, string>,
    change: (manager: EntityManager, user: User) => Promise<void>,
  ): Promise<GrantWithUser> {
    const grant = await this.deps.dataSource.transaction(async (manager) => {
      const user = await lockUser(manager, { id: principal.userId });
      // Under the lock: two upgrades of one guest at once cannot both win.
      if (!user || user.role !== 'guest') throw notAGuest();
      // Before the change: the verification link a password upgrade mails must outlive the bump.
      await bumpSecurityStamp(manager, user.id);
      await change(manager, user);
      const issued = await this.deps.grant(manager, user, client);
      await recordEvent(manager, { type: 'guest_upgraded', userId: user.id, sessionId: issued.sessionId, client, detail });
      return issued;
    });
    this.deps.observer?.guest?.('upgraded');
    return grant;
  }

  /** The guest becomes a player; its language is the one chosen now, else the one it had, else its client's (issue 30). */
  private async setAccount(
    manager: EntityManager,
    user: User,
    account: { email: string; passwordHash: string | null; verified: boolean; displayName: string | null; locale: string | undefined; acceptedLocale: string | null | undefined },
  ): Promise<void> {
    let locale: string | null;
    try {
      const { rows } = await sql<{ locale: string | null }>(
        manager,
        `UPDATE auth.users SET email = $2, password_hash = $3, role = 'player', display_name = COALESCE(display_name, $4),
                email_verified_at = CASE WHEN $5 THEN statement_timestamp() END, locale = COALESCE($6, locale, $7), updated_at = statement_timestamp()
          WHERE id = $1 RETURNING locale`,
        [user.id, account.email, account.passwordHash, account.displayName, account.verified, account.locale ?? null, account.acceptedLocale ?? null],
      );
      locale = rows[0]?.locale ?? null;
    } catch (err) {
      if ((err as { driverError?: { code?: string } }).driverError?.code === '23505') throw emailTaken();
      throw err;
    }
    Object.assign(user, {
      locale,
      email: account.email,
      passwordHash: account.passwordHash,
      role: 'player',
      displayName: user.displayName ?? account.displayName,
      emailVerifiedAt: account.verified ? new Date() : null,
    });
  }
}

function assertGuest(principal: Principal): void {
  if (principal.role !== 'guest') throw notAGuest();
}

function notAGuest(): AppError {
  return new AppError('not_a_guest', 'Only a guest account can be upgraded; this one already is a full account.');
}
