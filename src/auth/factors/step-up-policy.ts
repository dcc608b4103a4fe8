import type { DataSource } from 'typeorm';
import type { Config } from '../../config/config';
import type { UserRole } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { hasSecondFactor } from '../oidc/authentication-context';
import type { Principal } from '../principal';
import { sql } from '../sql';
import { availableFactors, type FactorKind, type FactorSummary } from './factor-list';

/**
 * Step-up (issue 26): which actions need a recent second factor, and the answer that tells the
 * client to get one. The rule, for every action here:
 *
 * - a user with a second factor needs the session to have proven one (amr otp, hwk, swk or mfa)
 *   within STEP_UP_MAX_AGE_SECONDS (its auth_time: the sign-in, or the last step-up);
 * - a user without one whose role MFA_REQUIRED_ROLES lists (for becoming a developer: the role the
 *   action gives) gets 403 mfa_enrollment_required: set up a factor first;
 * - a user without one otherwise passes, except for `recentSignIn` actions (adding a first factor,
 *   a personal access token), which need a sign-in or a password step-up within the same time, so a
 *   stolen session cannot lock its owner out with a factor of its own.
 *
 * The refusal is RFC 9470's: 401 `insufficient_user_authentication` with `WWW-Authenticate:
 * Bearer error="insufficient_user_authentication", max_age=...`, and in the problem the factors
 * that may answer the step-up (POST step-up).
 */
export const STEP_UP_ACTIONS = {
  become_developer: { words: 'becoming a developer' },
  manage_clients: { words: 'creating or deleting OpenID clients and their credentials' },
  change_password: { words: 'changing the password' },
  change_email: { words: 'changing the email address' },
  delete_account: { words: 'deleting the account' },
  change_user: { words: "changing a user's role or status" },
  reset_factors: { words: "resetting a user's second factors" },
  add_factor: { words: 'adding a second factor', recentSignIn: true },
  remove_factor: { words: 'removing a second factor' },
  regenerate_recovery_codes: { words: 'making new recovery codes' },
  // Issue 28: creating a personal access token.
  create_personal_access_token: { words: 'creating a personal access token', recentSignIn: true },
} as const satisfies Record<string, { words: string; recentSignIn?: boolean }>;

export type StepUpAction = keyof typeof STEP_UP_ACTIONS;

export interface StepUpPolicyDeps {
  dataSource: DataSource;
  settings: Pick<Config['factors'], 'requiredRoles' | 'stepUpMaxAgeSeconds'>;
}

/** What the session proved and when, and the user's factors, read now (the token's claims may be older). */
async function sessionState(dataSource: DataSource, principal: Principal, maxAgeSeconds: number) {
  const { rows } = await sql<{ amr: string[]; fresh: boolean; totp: boolean; passkeys: string; recovery_codes: string }>(
    dataSource,
    `SELECT s.amr, COALESCE(s.auth_time, s.created_at) >= statement_timestamp() - make_interval(secs => $3) AS fresh,
            EXISTS (SELECT 1 FROM auth.totp_factors WHERE user_id = $2 AND confirmed_at IS NOT NULL) AS totp,
            (SELECT count(*) FROM auth.webauthn_credentials WHERE user_id = $2) AS passkeys,
            (SELECT count(*) FROM auth.recovery_codes WHERE user_id = $2 AND used_at IS NULL) AS recovery_codes
       FROM auth.sessions s WHERE s.id = $1 AND s.user_id = $2`,
    [principal.sessionId, principal.userId, maxAgeSeconds],
  );
  const row = rows[0];
  if (!row) throw new AppError('invalid_token', 'The session of this access token has ended.');
  const summary: FactorSummary = { totp: row.totp, passkeys: Number(row.passkeys), recoveryCodes: Number(row.recovery_codes) };
  return { amr: row.amr, fresh: row.fresh, summary };
}

/** 401 insufficient_user_authentication (RFC 9470 §3) naming what answers it. */
export function stepUpRequired(action: StepUpAction, maxAgeSeconds: number, factors: (FactorKind | 'password')[]): AppError {
  const detail = `${capitalize(STEP_UP_ACTIONS[action].words)} needs a recent ${factors.includes('password') ? 'sign-in' : 'second factor'}: step up (POST step-up) with ${factors.join(', ')}, then try again.`;
  return new AppError('insufficient_user_authentication', detail, {
    headers: { 'www-authenticate': `Bearer error="insufficient_user_authentication", error_description="${detail}", max_age="${maxAgeSeconds}"` },
    fields: { action, max_age: maxAgeSeconds, factors },
  });
}

/**
 * Passes when the session may do `action` now; otherwise throws insufficient_user_authentication
 * (step up) or mfa_enrollment_required (set up a factor first). `role` is the role the rule is
 * judged for: the principal's, or the one the action gives.
 */
export async function requireStepUp(deps: StepUpPolicyDeps, principal: Principal, action: StepUpAction, { role }: { role?: UserRole } = {}): Promise<void> {
  const maxAge = deps.settings.stepUpMaxAgeSeconds;
  const state = await sessionState(deps.dataSource, principal, maxAge);
  const factors = availableFactors(state.summary);
  if (factors.length > 0) {
    if (state.fresh && hasSecondFactor(state.amr)) return;
    throw stepUpRequired(action, maxAge, factors);
  }
  const judged = role ?? principal.role;
  if (deps.settings.requiredRoles.includes(judged as (typeof deps.settings.requiredRoles)[number]) && action !== 'add_factor') {
    throw new AppError('mfa_enrollment_required', `${capitalize(STEP_UP_ACTIONS[action].words)} needs a second factor for the ${judged} role: set up a passkey or an authenticator app first (me/passkeys, me/totp).`, {
      fields: { action, role: judged },
    });
  }
  if ('recentSignIn' in STEP_UP_ACTIONS[action] && !state.fresh) throw stepUpRequired(action, maxAge, ['password']);
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
