import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { PathHelpers } from './account-paths';
import {
  ConfirmTotpRequest,
  FactorOverview,
  FactorsReset,
  MfaRequiredFields,
  MfaTokenRequest,
  MfaVerifyRequest,
  PasskeyIdParams,
  Passkey,
  PasskeySignInRequest,
  RecoveryCodes,
  RegisteredPasskey,
  RegisterPasskeyRequest,
  RenamePasskeyRequest,
  StepUpRequest,
  StepUpResponse,
  TotpConfirmed,
  TotpEnrolment,
  WebAuthnOptions,
} from './factor-schemas';
import { AuthResponse } from './schemas';

/**
 * Passkeys, the authenticator app, recovery codes, the MFA challenge and step-up (issue 26). The
 * flows, step by step, are in docs/api.md ("Second factors and passkeys").
 */
export function registerFactorPaths(registry: OpenAPIRegistry, { path: p, authenticated, problems, json }: PathHelpers): void {
  registry.register('MfaRequired', MfaRequiredFields);
  const stepUp = ['insufficient_user_authentication', 'mfa_enrollment_required'] as const;
  const post = (path: string, summary: string, description: string, options: { auth?: boolean; body?: Parameters<typeof json>[0]; ok: Record<number, object>; errors: Parameters<PathHelpers['problems']> }) =>
    registry.registerPath({
      method: 'post',
      path: p(path),
      summary,
      description,
      ...(options.auth && { security: authenticated }),
      ...(options.body && { request: { body: { required: true, ...json(options.body) } } }),
      responses: { ...options.ok, ...problems(...options.errors) },
    });

  registry.registerPath({
    method: 'get',
    path: p('/me/factors'),
    summary: 'My second factors',
    security: authenticated,
    responses: { 200: { description: 'Factors.', ...json(FactorOverview) }, ...problems('invalid_token') },
  });
  post('/me/totp', 'Start setting up an authenticator app', 'A new secret and its otpauth:// URI (for a QR code); pending until confirmed. Needs a recent sign-in (or step-up) and, when the account has factors, a recent one of them.', {
    auth: true,
    ok: { 201: { description: 'Pending enrolment.', ...json(TotpEnrolment) } },
    errors: ['invalid_token', 'factor_exists', ...stepUp],
  });
  post('/me/totp/confirm', 'Confirm the authenticator app with its first code', 'The first factor of an account comes with ten recovery codes, shown once. Audited and mailed.', {
    auth: true,
    body: ConfirmTotpRequest,
    ok: { 200: { description: 'Confirmed.', ...json(TotpConfirmed) } },
    errors: ['invalid_token', 'invalid_request', 'invalid_credentials', 'rate_limited', ...stepUp],
  });
  registry.registerPath({
    method: 'delete',
    path: p('/me/totp'),
    summary: 'Remove the authenticator app',
    description: 'Needs a recent second factor. With the last factor go the recovery codes. Audited and mailed.',
    security: authenticated,
    responses: { 204: { description: 'Removed.' }, ...problems('invalid_token', 'not_found', ...stepUp) },
  });
  post('/me/recovery-codes', 'New recovery codes', 'Ten new single-use codes, shown once; the old set stops working. Needs a recent second factor.', {
    auth: true,
    ok: { 200: { description: 'The new codes.', ...json(RecoveryCodes) } },
    errors: ['invalid_token', 'not_found', ...stepUp],
  });
  post('/me/passkeys/options', 'Options to register a passkey', 'For navigator.credentials.create() or a native passkey library: a discoverable credential, no attestation.', {
    auth: true,
    ok: { 200: { description: 'PublicKeyCredentialCreationOptionsJSON.', ...json(WebAuthnOptions) } },
    errors: ['invalid_token', ...stepUp],
  });
  post('/me/passkeys', 'Register a passkey', 'The credential as JSON; refused (401) for a challenge not made for this account, expired or answered, another origin or RP id. The first factor comes with recovery codes.', {
    auth: true,
    body: RegisterPasskeyRequest,
    ok: { 201: { description: 'Registered.', ...json(RegisteredPasskey) } },
    errors: ['invalid_token', 'invalid_request', 'invalid_credentials', 'factor_exists', ...stepUp],
  });
  registry.registerPath({
    method: 'patch',
    path: p('/me/passkeys/{id}'),
    summary: 'Rename a passkey',
    security: authenticated,
    request: { params: PasskeyIdParams, body: { required: true, ...json(RenamePasskeyRequest) } },
    responses: { 200: { description: 'Renamed.', ...json(Passkey) }, ...problems('invalid_token', 'invalid_request', 'not_found') },
  });
  registry.registerPath({
    method: 'delete',
    path: p('/me/passkeys/{id}'),
    summary: 'Delete a passkey',
    description: 'Needs a recent second factor. Audited and mailed.',
    security: authenticated,
    request: { params: PasskeyIdParams },
    responses: { 204: { description: 'Deleted.' }, ...problems('invalid_token', 'invalid_request', 'not_found', ...stepUp) },
  });
  post('/mfa/passkey-options', 'Options for a passkey answering an MFA challenge', 'The user\'s passkeys in allowCredentials.', {
    body: MfaTokenRequest,
    ok: { 200: { description: 'PublicKeyCredentialRequestOptionsJSON.', ...json(WebAuthnOptions) } },
    errors: ['invalid_request', 'invalid_mfa_token'],
  });
  post('/mfa/verify', 'Complete an MFA challenge', 'After POST login (or the password grant of /token), POST id-token or POST redirect/exchange answered 403 `mfa_required` with an `mfa_token`: exactly one of totp_code, recovery_code, passkey. Wrong answers are throttled per account and kill the token at five. The access token carries amr (pwd or fed, otp/hwk/swk, mfa), acr and auth_time.', {
    body: MfaVerifyRequest,
    ok: { 200: { description: 'Signed in.', ...json(AuthResponse) } },
    errors: ['invalid_request', 'invalid_mfa_token', 'invalid_credentials', 'rate_limited', 'account_disabled', 'csrf_failed'],
  });
  post('/passkeys/sign-in/options', 'Options to sign in with a passkey', 'No email: a discoverable credential names its account; user verification required.', {
    ok: { 200: { description: 'PublicKeyCredentialRequestOptionsJSON.', ...json(WebAuthnOptions) } },
    errors: [],
  });
  post('/passkeys/sign-in', 'Sign in with a passkey alone', 'Refused (401) for another origin, a replayed response, a signature counter that went back (audited as a cloned authenticator).', {
    body: PasskeySignInRequest,
    ok: { 200: { description: 'Signed in.', ...json(AuthResponse) } },
    errors: ['invalid_request', 'invalid_credentials', 'rate_limited', 'account_disabled', 'csrf_failed'],
  });
  post('/step-up/passkey-options', 'Options for a passkey step-up', 'The user\'s passkeys in allowCredentials.', {
    auth: true,
    ok: { 200: { description: 'PublicKeyCredentialRequestOptionsJSON.', ...json(WebAuthnOptions) } },
    errors: ['invalid_token'],
  });
  post('/step-up', 'Step up within this session', 'Proves a second factor again (or the password, for an account without factors): the session\'s auth_time becomes now and its amr gains the factor; the answer is a new access token for the same session (the refresh token stays). Answers 401 `insufficient_user_authentication` of sensitive actions.', {
    auth: true,
    body: StepUpRequest,
    ok: { 200: { description: 'A fresh access token.', ...json(StepUpResponse) } },
    errors: ['invalid_token', 'invalid_request', 'invalid_credentials', 'rate_limited'],
  });
  post('/users/{id}/factors/reset', "Reset a user's second factors (admin only)", 'For a user who lost every factor and recovery code: removes them all and ends every session of the user. Audited with the admin as actor, mailed to the user. Needs the admin\'s own step-up.', {
    auth: true,
    ok: { 200: { description: 'Reset.', ...json(FactorsReset) } },
    errors: ['invalid_token', 'invalid_request', 'forbidden', 'not_found', ...stepUp],
  });
}
