import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { EntityManager } from 'typeorm';
import { AppError } from '../../errors/app-error';
import { recordEvent } from '../audit/audit-events';
import type { AuthService } from '../auth-service';
import { ACR_MULTI_FACTOR, asMethods, authenticationContext, type AuthenticationMethod, type ProviderSignIn } from '../oidc/authentication-context';
import type { GrantWithUser, Principal } from '../principal';
import { sessionAuthentication } from '../sessions/sessions';
import { sql } from '../sql';
import type { FactorClient, FactorDeps } from './factor-deps';
import { availableFactors, factorSummary, hasFactor, type FactorKind } from './factor-list';
import { countWrongAnswer, findMfaChallenge, issueMfaChallenge, spendMfaChallenge, type LiveMfaChallenge } from './mfa-challenges';
import { assertionOptions, verifyPasskeyAssertion } from './passkey-assertions';
import { verifySecondFactor, type SecondFactorProof } from './second-factor';

/** What the MFA challenge answers (the problem's fields of mfa_required). */
export interface MfaChallengeAnswer extends Record<string, unknown> {
  mfa_token: string;
  expires_in: number;
  factors: FactorKind[];
}

export type SessionStarter = Pick<AuthService, 'startVerifiedSessionFor' | 'checkPassword' | 'accessToken'>;

/**
 * Signing in with factors, and stepping up: the MFA challenge after a password (login asks
 * `challengeFor`, mfa/verify completes it), sign-in with a passkey alone (no email: the passkey
 * names its account; user verification makes it two factors), and the step-up that refreshes a
 * session's auth_time and amr without a new session. Sessions and tokens are the AuthService's.
 */
export class FactorSignIn {
  constructor(
    private readonly deps: FactorDeps,
    private readonly sessions: SessionStarter,
  ) {}

  /**
   * After a correct first factor: the MFA challenge, when the account has a second factor. A
   * first factor that already proved two (a passkey that verified its user: amr mfa) needs none,
   * which is why POST passkeys/sign-in issues tokens at once; the sign-in pages ask here too, so
   * they follow the same rule. `providerSignIn`: the provider sign-in that proved `fed`, kept with
   * the challenge so that its completion is counted and audited as that sign-in.
   */
  async challengeFor(userId: string, methods: AuthenticationMethod[], providerSignIn?: ProviderSignIn): Promise<MfaChallengeAnswer | undefined> {
    if (authenticationContext(methods).acr === ACR_MULTI_FACTOR) return undefined;
    const summary = await factorSummary(this.deps.dataSource, userId);
    if (!hasFactor(summary)) return undefined;
    const ttl = this.deps.settings.mfaTokenTtlSeconds;
    return { mfa_token: await issueMfaChallenge(this.deps.dataSource, userId, methods, ttl, providerSignIn), expires_in: ttl, factors: availableFactors(summary) };
  }

  /** Options for a passkey answering the MFA challenge of `mfaToken` (the user's passkeys only). */
  async mfaPasskeyOptions(mfaToken: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const challenge = await findMfaChallenge(this.deps.dataSource, mfaToken);
    return assertionOptions(this.deps, { purpose: 'second_factor', subject: challenge.id, userId: challenge.userId });
  }

  /**
   * Completes the MFA challenge with a second factor: the session starts and the challenge is spent,
   * together; a provider's sign-in is recorded as that sign-in (its method and provider).
   */
  async completeMfa(mfaToken: string, proof: SecondFactorProof, client: FactorClient): Promise<GrantWithUser> {
    const challenge = await findMfaChallenge(this.deps.dataSource, mfaToken);
    const methods = await this.answer(challenge, proof, client, 'mfa');
    return this.sessions.startVerifiedSessionFor(challenge.userId, methods, client, {
      inTransaction: (manager) => spendMfaChallenge(manager, challenge.id),
      providerSignIn: challenge.providerSignIn,
    });
  }

  /**
   * Completes the MFA challenge without starting a session of ours: a sign-in page (the OpenID
   * provider's login page, the CLI's /device: `page`, audited as the context) gets the account,
   * every method proven, and the provider sign-in that proved the first (for the page's record).
   */
  async verifyMfaChallenge(
    mfaToken: string,
    proof: SecondFactorProof,
    client: FactorClient,
    page: 'oidc' | 'device',
  ): Promise<{ userId: string; methods: AuthenticationMethod[]; providerSignIn: ProviderSignIn | undefined }> {
    const challenge = await findMfaChallenge(this.deps.dataSource, mfaToken);
    const methods = await this.answer(challenge, proof, client, page);
    await this.deps.dataSource.transaction((manager) => spendMfaChallenge(manager, challenge.id));
    return { userId: challenge.userId, methods, providerSignIn: challenge.providerSignIn };
  }

  /** The challenge's methods plus the second factor's; a wrong answer counts towards the challenge's death. */
  private async answer(challenge: LiveMfaChallenge, proof: SecondFactorProof, client: FactorClient, context: 'mfa' | 'oidc' | 'device'): Promise<AuthenticationMethod[]> {
    try {
      const verified = await verifySecondFactor(this.deps, proof, { userId: challenge.userId, context, ceremony: { purpose: 'second_factor', subject: challenge.id } }, client);
      return [...challenge.methods, ...verified.methods];
    } catch (err) {
      if (err instanceof AppError && err.code === 'invalid_credentials') await countWrongAnswer(this.deps.dataSource, challenge.id);
      throw err;
    }
  }

  /**
   * Options for signing in with a passkey alone (discoverable credentials: no email asked).
   * `subject` binds the challenge to where it is answered: '' for the JSON API, the interaction or
   * the /device page's browser for the sign-in pages (a challenge of one is refused by the others).
   */
  passkeySignInOptions(subject = ''): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return assertionOptions(this.deps, { purpose: 'sign_in', subject });
  }

  /**
   * Sign-in with a passkey alone. Failures count per client address and passkey with the login
   * throttle's rules, and are audited as login_failed when the passkey names an account.
   */
  async signInWithPasskey(response: AuthenticationResponseJSON, client: FactorClient): Promise<GrantWithUser> {
    const userId = await this.verifyPasskeySignIn(response, client);
    return this.sessions.startVerifiedSessionFor(userId.userId, userId.methods, client);
  }

  /** The passkey sign-in's check alone, for a challenge made for `subject` (the sign-in pages start their own sessions). */
  async verifyPasskeySignIn(response: AuthenticationResponseJSON, client: FactorClient, subject = ''): Promise<{ userId: string; methods: AuthenticationMethod[] }> {
    const key = `passkey:${typeof response.id === 'string' ? response.id.slice(0, 200) : ''}`;
    await this.deps.throttle.attempt(key, client.ip);
    try {
      const passkey = await verifyPasskeyAssertion(this.deps, response, { purpose: 'sign_in', subject }, client);
      await this.deps.throttle.succeeded(key, client.ip);
      return { userId: passkey.userId, methods: passkey.methods };
    } catch (err) {
      if (err instanceof AppError && err.code === 'invalid_credentials') {
        const { rows } = await sql<{ user_id: string }>(this.deps.dataSource, `SELECT user_id FROM auth.webauthn_credentials WHERE credential_id = $1`, [response.id]);
        await recordEvent(this.deps.dataSource, { type: 'login_failed', userId: rows[0]?.user_id ?? null, client, detail: { reason: 'passkey_refused' } });
      }
      throw err;
    }
  }

  /** Options for a passkey step-up of this session. */
  stepUpPasskeyOptions(principal: Principal): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return assertionOptions(this.deps, { purpose: 'step_up', subject: principal.sessionId, userId: principal.userId });
  }

  /**
   * Step-up: proves a factor again within this session. A user with second factors answers with
   * one of them; a user without, with the password. The session's auth_time becomes now and its
   * amr gains the methods; the answer is a new access token carrying them (the refresh token is
   * unchanged and later refreshes carry them too).
   */
  async stepUp(principal: Principal, proof: SecondFactorProof | { password: string }, client: FactorClient): Promise<{ accessToken: string; expiresIn: number }> {
    const summary = await factorSummary(this.deps.dataSource, principal.userId);
    let methods: AuthenticationMethod[];
    if ('password' in proof) {
      if (hasFactor(summary)) throw new AppError('invalid_request', `This account has second factors: step up with one of them (${availableFactors(summary).join(', ')}).`);
      // A guest (issue 25) has no address and no password: '' matches no account.
      await this.sessions.checkPassword(principal.user.email ?? '', proof.password, client);
      methods = ['pwd'];
    } else {
      const verified = await verifySecondFactor(
        this.deps,
        proof,
        { userId: principal.userId, context: 'step_up', sessionId: principal.sessionId, ceremony: { purpose: 'step_up', subject: principal.sessionId } },
        client,
      );
      methods = verified.methods;
    }
    const authentication = await this.deps.dataSource.transaction(async (manager) => {
      const updated = await refreshSessionAuthentication(manager, principal, methods);
      await recordEvent(manager, { type: 'step_up', userId: principal.userId, sessionId: principal.sessionId, client, detail: { amr: updated.amr } });
      return updated;
    });
    return this.sessions.accessToken({ userId: principal.userId, sessionId: principal.sessionId, role: principal.role, emailVerified: principal.user.email_verified, authentication });
  }
}

/** The session's auth_time becomes now and its amr gains `methods`; invalid_token when the session has ended meanwhile. */
async function refreshSessionAuthentication(manager: EntityManager, principal: Principal, methods: AuthenticationMethod[]) {
  const { rows } = await sql<{ amr: string[] }>(
    manager,
    `SELECT amr FROM auth.sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > statement_timestamp() FOR UPDATE`,
    [principal.sessionId, principal.userId],
  );
  if (!rows[0]) throw new AppError('invalid_token', 'The session of this access token has ended.');
  const amr = authenticationContext([...asMethods(rows[0].amr), ...methods]).amr;
  const { rows: updated } = await sql<{ auth_time: Date }>(
    manager,
    `UPDATE auth.sessions SET amr = $2, auth_time = statement_timestamp() WHERE id = $1 RETURNING auth_time`,
    [principal.sessionId, amr],
  );
  return sessionAuthentication(amr, updated[0]!.auth_time);
}
