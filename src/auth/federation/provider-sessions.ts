import type { DataSource, EntityManager } from 'typeorm';
import type { User } from '../../db/entities/index';
import { recordEvent } from '../audit/audit-events';
import { factorSummary, hasFactor } from '../factors/factor-list';
import { mfaRequired } from '../factors/mfa-required';
import type { AuthenticationMethod, ProviderSignIn } from '../oidc/authentication-context';
import type { GrantWithUser } from '../principal';
import type { ClientInfo } from '../sessions/sessions';
import type { SessionGrant } from './session-grant';

/** What a provider sign-in needs of the factor sign-in (src/auth/factors/factor-sign-in.ts), named here so federation does not depend on it. */
export interface MfaChallenger {
  /** `providerSignIn` is kept with the challenge: POST mfa/verify then records the sign-in as this one. */
  challengeFor(userId: string, methods: AuthenticationMethod[], providerSignIn?: ProviderSignIn): Promise<Record<string, unknown> | undefined>;
}

/**
 * The end of a JSON provider sign-in (POST id-token, POST redirect/exchange): the session, unless
 * the account has a second factor (issue 26 item 4), when it answers mfa_required as a password
 * login does and POST mfa/verify starts the session (amr fed + the factor). Two steps, because
 * what the sign-in's transaction did must commit either way (a link by verified email, the
 * pre-account-takeover defence, a spent handoff code): `inTransaction` there, `afterCommit` after.
 * Without `challenger` (a service built without factors) every sign-in gets its session at once.
 */
export function providerSessions(deps: { dataSource: DataSource; grant: SessionGrant; challenger?: MfaChallenger | undefined }) {
  const start = async (manager: EntityManager, user: User, client: ClientInfo, via: ProviderSignIn): Promise<GrantWithUser> => {
    const grant = await deps.grant(manager, user, client, ['fed']);
    await recordEvent(manager, { type: 'login_succeeded', userId: user.id, sessionId: grant.sessionId, client, detail: { method: via.method, provider: via.provider } });
    return grant;
  };
  return {
    /** In the sign-in's transaction: the session, or undefined when the account has a second factor (then no session row). */
    async inTransaction(manager: EntityManager, user: User, client: ClientInfo, via: ProviderSignIn): Promise<GrantWithUser | undefined> {
      if (deps.challenger && hasFactor(await factorSummary(manager, user.id))) return undefined;
      return start(manager, user, client, via);
    },
    /**
     * After the commit, for a sign-in left without a session: throws mfa_required with a new
     * challenge. Should the factor have gone in between (removed by another request), the session
     * starts in a transaction of its own, as it would have in the first.
     */
    async afterCommit(user: User, client: ClientInfo, via: ProviderSignIn): Promise<GrantWithUser> {
      const challenge = await deps.challenger?.challengeFor(user.id, ['fed'], via);
      if (challenge) throw mfaRequired(challenge, `The ${via.provider} sign-in is right`);
      return deps.dataSource.transaction((manager) => start(manager, user, client, via));
    },
  };
}

export type ProviderSessions = ReturnType<typeof providerSessions>;
