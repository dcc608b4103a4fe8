import type { DataSource } from 'typeorm';
import { AppError } from '../../errors/app-error';
import type { RegistrationThrottle } from '../throttling/registration-throttle';
import { assertPasswordPolicy } from './passwords';
import { emailTaken, findUserByEmail, normalizeEmail } from './users';

export interface RegistrationCheckDeps {
  dataSource: DataSource;
  throttle: RegistrationThrottle;
  /** Refuses an address no account may use (email-policy.ts); throws AppError. */
  emailPolicy(normalizedEmail: string): void;
  /** The breached-password check (abuse/breached-passwords.ts), absent when off. */
  breachedPasswords?: ((password: string, flow: 'registration') => Promise<void>) | undefined;
  observer: { throttled?(limiter: 'registration'): void; registrationSurge?(): void };
}

/**
 * The defences every new password account passes before its hash is made, whichever way it comes
 * (POST register, a guest's POST guest/upgrade): the password policy, the address policy, the
 * registration throttle of the client address, a taken address (409 email_taken, after the
 * throttle so that it is no free way to test which addresses have accounts) and the
 * breached-password check. Resolves when the account may be created; throws AppError otherwise.
 */
export async function checkNewPasswordAccount(deps: RegistrationCheckDeps, input: { email: string; password: string }, ip: string): Promise<void> {
  assertPasswordPolicy(input.password);
  deps.emailPolicy(normalizeEmail(input.email));
  try {
    const { surge } = await deps.throttle.attempt(ip);
    if (surge) deps.observer.registrationSurge?.();
  } catch (err) {
    if (err instanceof AppError && err.code === 'rate_limited') deps.observer.throttled?.('registration');
    throw err;
  }
  // The UNIQUE constraint still decides a race (insertUser); this only spares the hash.
  if (await findUserByEmail(deps.dataSource, input.email)) throw emailTaken();
  await deps.breachedPasswords?.(input.password, 'registration');
}
