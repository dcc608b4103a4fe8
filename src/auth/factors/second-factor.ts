import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { AppError } from '../../errors/app-error';
import { recordEvent } from '../audit/audit-events';
import type { AuthenticationMethod } from '../oidc/authentication-context';
import { recordFactorChange } from './factor-changes';
import type { FactorClient, FactorDeps } from './factor-deps';
import type { FactorKind } from './factor-list';
import { verifyPasskeyAssertion, type Ceremony } from './passkey-assertions';
import { spendRecoveryCode } from './recovery-codes';
import { acceptTotpCode } from './totp';

/**
 * One answer to "prove your second factor", whatever asked (an MFA challenge, a step-up, the
 * OpenID provider's login page): an authenticator app's code, a recovery code, or a passkey.
 * Guesses count against the account and the client's address with the login throttle's rules
 * (a separate counter per account: `factor:<user id>`), so a stolen password or session gets no
 * more tries at the second factor than at the password. A wrong answer is audited
 * (second_factor_failed); a recovery code's use is audited and mailed.
 */
export type SecondFactorProof =
  | { totp_code: string; recovery_code?: undefined; passkey?: undefined }
  | { recovery_code: string; totp_code?: undefined; passkey?: undefined }
  | { passkey: AuthenticationResponseJSON; totp_code?: undefined; recovery_code?: undefined };

export interface VerifiedFactor {
  kind: FactorKind;
  /** What the factor adds to amr. */
  methods: AuthenticationMethod[];
}

export interface FactorContext {
  userId: string;
  /** Why it is asked, for the audit log. */
  context: 'mfa' | 'step_up' | 'oidc' | 'device';
  /** The passkey ceremony (its challenge's purpose and subject). */
  ceremony: Ceremony;
  sessionId?: string | undefined;
}

export function proofKind(proof: SecondFactorProof): FactorKind {
  return proof.passkey ? 'passkey' : proof.totp_code !== undefined ? 'totp' : 'recovery_code';
}

/** Verifies `proof` for the user; throws 401 invalid_credentials (or 429 rate_limited) otherwise. */
export async function verifySecondFactor(deps: FactorDeps, proof: SecondFactorProof, ctx: FactorContext, client: FactorClient): Promise<VerifiedFactor> {
  const throttleKey = `factor:${ctx.userId}`;
  await deps.throttle.attempt(throttleKey, client.ip);
  const kind = proofKind(proof);
  try {
    const verified = await check(deps, proof, kind, ctx, client);
    await deps.throttle.succeeded(throttleKey, client.ip);
    return verified;
  } catch (err) {
    if (err instanceof AppError && err.code === 'invalid_credentials') {
      await recordEvent(deps.dataSource, { type: 'second_factor_failed', userId: ctx.userId, sessionId: ctx.sessionId ?? null, client, detail: { factor: kind, context: ctx.context } });
    }
    throw err;
  }
}

async function check(deps: FactorDeps, proof: SecondFactorProof, kind: FactorKind, ctx: FactorContext, client: FactorClient): Promise<VerifiedFactor> {
  if (proof.passkey) {
    const passkey = await verifyPasskeyAssertion(deps, proof.passkey, { ...ctx.ceremony, userId: ctx.userId }, client);
    return { kind, methods: passkey.methods };
  }
  if (proof.totp_code !== undefined) {
    const code = proof.totp_code;
    const ok = await deps.dataSource.transaction((manager) => acceptTotpCode(deps, manager, ctx.userId, code));
    if (!ok) throw new AppError('invalid_credentials', 'The code is wrong, expired or already used: enter the current code of your authenticator app.');
    return { kind, methods: ['otp'] };
  }
  const code = proof.recovery_code;
  const spent = await deps.dataSource.transaction(async (manager) => {
    const remaining = await spendRecoveryCode(manager, ctx.userId, code);
    if (remaining === undefined) return false;
    await recordFactorChange(deps, manager, {
      event: 'recovery_code_used',
      userId: ctx.userId,
      sessionId: ctx.sessionId ?? null,
      client,
      factor: 'recovery_code',
      detail: { remaining, context: ctx.context },
      mail: 'recovery_code_used',
      remaining,
    });
    return true;
  });
  if (!spent) throw new AppError('invalid_credentials', 'The recovery code is wrong or was already used.');
  deps.mailQueued();
  return { kind, methods: ['otp'] };
}
