import type { DataSource } from 'typeorm';
import type { Config } from '../../config/config';
import { createLoginThrottle, type LoginThrottle } from './login-throttle';
import { createPasswordCheckGate, type PasswordCheckGate } from './password-check-gate';
import { createRegistrationThrottle, type RegistrationThrottle } from './registration-throttle';
import { createWorkGate, type WorkGate } from './work-gate';

/**
 * The throttles and work gates of the sign-in rules, built from the auth configuration. The
 * counters are made on demand so a caller (a test) that brings its own does not build ours.
 */
export function createAuthThrottles(
  dataSource: DataSource,
  auth: Config['auth'],
): { login(): LoginThrottle; registration(): RegistrationThrottle; registrationHashes: WorkGate; passwordChecks: PasswordCheckGate } {
  const addresses = { ipv6PrefixLength: auth.clientIpv6Prefix, ipv6Networks: auth.clientIpv6Networks };
  return {
    login: () =>
      createLoginThrottle(dataSource, {
        maxFailuresPerAccount: auth.loginMaxFailuresPerAccount,
        maxFailuresPerIp: auth.loginMaxFailuresPerIp,
        windowSeconds: auth.loginThrottleWindowSeconds,
        accountBackoffAfter: auth.loginAccountBackoffAfter,
        accountBackoffSeconds: auth.loginAccountBackoffSeconds,
        ...addresses,
      }),
    registration: () =>
      createRegistrationThrottle(dataSource, {
        maxPerIp: auth.registerMaxPerIp,
        maxGlobal: auth.registerMaxGlobal,
        windowSeconds: auth.registerWindowSeconds,
        ...addresses,
      }),
    // Bounds on bcrypt work in flight (see work-gate.ts): registrations get a small share so logins keep threads.
    registrationHashes: createWorkGate(auth.registerMaxHashesInFlight, 'registrations'),
    passwordChecks: createPasswordCheckGate({
      limit: auth.loginMaxChecksInFlight,
      perPrefix: auth.loginMaxChecksPerPrefix,
      reserved: auth.loginChecksReserved,
      failureMemoryMs: auth.loginThrottleWindowSeconds * 1000,
      ...addresses,
    }),
  };
}
