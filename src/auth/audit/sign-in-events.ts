import type { DataSource } from 'typeorm';
import type { AuthObserver } from '../observer';
import { authenticationContext, type AuthenticationMethod } from '../oidc/authentication-context';
import type { ClientInfo } from '../sessions/sessions';
import { hashEmailForAudit, recordEvent, type LoginFailureReason } from './audit-events';

/** Where a sign-in's outcome goes: the audit log and the login counter. */
export interface SignInRecorder {
  readonly dataSource: DataSource;
  readonly observer: AuthObserver;
  readonly tokenSecret: Buffer;
}

/**
 * A sign-in finished on a page that keeps its own browser session (the OpenID provider's login
 * page, the /device page): login_succeeded with the page and, past a password alone, the amr.
 */
export async function recordPageSignIn(
  to: SignInRecorder,
  { userId, methods, client, via }: { userId: string; methods: AuthenticationMethod[]; client: ClientInfo; via: 'oidc' | 'device' },
): Promise<void> {
  const detail = methods.length === 1 && methods[0] === 'pwd' ? { via } : { via, amr: authenticationContext(methods).amr };
  await recordEvent(to.dataSource, { type: 'login_succeeded', userId, client, detail });
  to.observer.loginOutcome?.('succeeded');
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
