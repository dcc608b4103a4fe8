import type { DataSource, EntityManager } from 'typeorm';
import type { AuthObserver } from '../observer';
import { authenticationContext, type AuthenticationMethod, type ProviderSignIn } from '../oidc/authentication-context';
import type { ClientInfo } from '../sessions/sessions';
import { sql } from '../sql';
import { hashEmailForAudit, recordEvent, type LoginFailureReason } from './audit-events';

/** Where a sign-in's outcome goes: the audit log and the login counter. */
export interface SignInRecorder {
  readonly dataSource: DataSource;
  readonly observer: AuthObserver;
  readonly tokenSecret: Buffer;
  /** Issue 30's new-device notice, in the sign-in's transaction (AuthServiceDeps.onSignedIn). */
  readonly onSignedIn?: ((manager: EntityManager, user: { id: string; email: string | null }, sessionId: string | null, client: ClientInfo) => Promise<unknown>) | undefined;
}

/**
 * A sign-in finished on a page that keeps its own browser session (the OpenID provider's login
 * page, the /device page): login_succeeded with the page and, past a password alone, the amr.
 * The new-device notice runs first in the same transaction, as it does for a login's session:
 * it compares with the earlier sign-ins, and this one's event must not count among them. A
 * provider's sign-in is counted here too, once finished (after its second factor when one was
 * asked), never when the provider alone answered.
 */
export async function recordPageSignIn(
  to: SignInRecorder,
  { userId, methods, client, via, providerSignIn }: { userId: string; methods: AuthenticationMethod[]; client: ClientInfo; via: 'oidc' | 'device'; providerSignIn?: ProviderSignIn | undefined },
): Promise<void> {
  const detail = {
    via,
    ...(methods.length === 1 && methods[0] === 'pwd' ? {} : { amr: authenticationContext(methods).amr }),
    // A redirect sign-in on the page (issue 25) names its provider, as POST redirect/exchange's event does.
    ...(providerSignIn ? { method: providerSignIn.method, provider: providerSignIn.provider } : {}),
  };
  const onSignedIn = to.onSignedIn;
  if (!onSignedIn) {
    // Nothing to compare with (NEW_DEVICE_NOTICE off): the event alone, one statement.
    await recordEvent(to.dataSource, { type: 'login_succeeded', userId, client, detail });
  } else {
    await to.dataSource.transaction(async (manager) => {
      const { rows } = await sql<{ id: string; email: string | null }>(manager, `SELECT id, email FROM auth.users WHERE id = $1`, [userId]);
      if (rows[0]) await onSignedIn(manager, rows[0], null, client);
      await recordEvent(manager, { type: 'login_succeeded', userId, client, detail });
    });
  }
  // A provider's sign-in is counted by provider (auth_sign_ins_total), as POST id-token's is, and
  // not also as a password login (auth_login_attempts_total).
  if (providerSignIn) to.observer.providerSignIn?.(providerSignIn);
  else to.observer.loginOutcome?.('succeeded');
}

/** login_failed with its reason; an unknown email is stored only as a keyed hash, never linked to anyone. */
export async function recordLoginFailure(
  to: SignInRecorder,
  { reason, userId, email, client }: { reason: LoginFailureReason; userId: string | undefined; email: string; client: ClientInfo },
): Promise<void> {
  to.observer.loginOutcome?.(reason);
  await recordEvent(to.dataSource, {
    type: 'login_failed',
    userId: userId ?? null,
    client,
    detail: userId ? { reason } : { reason, email_hash: hashEmailForAudit(to.tokenSecret, email) },
  });
}
