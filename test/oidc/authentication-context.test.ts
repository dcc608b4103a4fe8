import { ACR_MULTI_FACTOR, ACR_PASSWORD, authenticationContext } from '../../src/auth/oidc/authentication-context';

/**
 * RFC 8176 amr and our acr for the methods of a sign-in (issue 26): a provider's sign-in stands
 * where the password does, so with something the player has it is multi-factor too.
 */
it.each([
  [['pwd'], ['pwd'], ACR_PASSWORD],
  [['fed'], ['fed'], ACR_PASSWORD],
  [['pwd', 'otp'], ['pwd', 'otp', 'mfa'], ACR_MULTI_FACTOR],
  [['fed', 'otp'], ['fed', 'otp', 'mfa'], ACR_MULTI_FACTOR],
  [['fed', 'hwk'], ['fed', 'hwk', 'mfa'], ACR_MULTI_FACTOR],
  [['fed', 'swk'], ['fed', 'swk', 'mfa'], ACR_MULTI_FACTOR],
  // Two possessions are not two kinds of factor; a passkey that verified its user is (mfa from the passkey).
  [['otp', 'hwk'], ['otp', 'hwk'], ACR_PASSWORD],
  [['swk', 'mfa'], ['swk', 'mfa'], ACR_MULTI_FACTOR],
] as const)('%j gives amr %j and acr %s', (methods, amr, acr) => {
  expect(authenticationContext(methods)).toEqual({ amr, acr });
});
