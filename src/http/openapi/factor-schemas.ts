import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

/**
 * Schemas of passkeys, second factors and step-up (issue 26). WebAuthn responses are the JSON
 * forms of WebAuthn L3 (`RegistrationResponseJSON`, `AuthenticationResponseJSON`: what
 * `PublicKeyCredential.toJSON()` and native passkey libraries such as react-native-passkeys give);
 * only their shape is checked here, SimpleWebAuthn checks their content.
 */
extendZodWithOpenApi(z);

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'expected a uuid' }).openapi({ format: 'uuid' });
const b64url = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+$/, { message: 'expected base64url' });
const extensions = z.record(z.string(), z.unknown());
const attachment = z.enum(['platform', 'cross-platform']).optional();

export const RegistrationResponse = z
  .object({
    id: b64url(1400),
    rawId: b64url(1400),
    type: z.literal('public-key'),
    response: z.object({
      clientDataJSON: b64url(4096),
      attestationObject: b64url(16384),
      authenticatorData: b64url(16384).optional(),
      transports: z.array(z.string().max(20)).max(10).optional(),
      publicKeyAlgorithm: z.number().int().optional(),
      publicKey: b64url(4096).optional(),
    }),
    authenticatorAttachment: attachment,
    clientExtensionResults: extensions,
  })
  .openapi('PasskeyRegistrationResponse', { description: 'navigator.credentials.create()\'s credential as JSON (PublicKeyCredential.toJSON()).' });

export const AuthenticationResponse = z
  .object({
    id: b64url(1400),
    rawId: b64url(1400),
    type: z.literal('public-key'),
    response: z.object({
      clientDataJSON: b64url(4096),
      authenticatorData: b64url(16384),
      signature: b64url(4096),
      userHandle: b64url(256).optional(),
    }),
    authenticatorAttachment: attachment,
    clientExtensionResults: extensions,
  })
  .openapi('PasskeyAssertion', { description: 'navigator.credentials.get()\'s credential as JSON (PublicKeyCredential.toJSON()).' });

const passkeyName = z.string().trim().min(1).max(100).openapi({ example: 'MacBook' });
export const RegisterPasskeyRequest = z.strictObject({ response: RegistrationResponse, name: passkeyName.optional() }).openapi('RegisterPasskeyRequest');
export const RenamePasskeyRequest = z.strictObject({ name: passkeyName }).openapi('RenamePasskeyRequest');
export const PasskeyIdParams = z.strictObject({ id: uuid });
export const PasskeySignInRequest = z.strictObject({ response: AuthenticationResponse }).openapi('PasskeySignInRequest');

const totpCode = z.string().regex(/^\d{6}$/, { message: 'expected the 6 digits of the authenticator app' }).openapi({ example: '492039' });
const recoveryCode = z.string().min(1).max(40).openapi({ example: 'k3m9-x2qa-7hvd-p0wc' });
export const ConfirmTotpRequest = z.strictObject({ code: totpCode }).openapi('ConfirmTotpRequest');

/** One of the second factors: exactly one field. */
const proofFields = { totp_code: totpCode.optional(), recovery_code: recoveryCode.optional(), passkey: AuthenticationResponse.optional() };
const exactlyOne = (keys: string[]) => (v: Record<string, unknown>) => keys.filter((k) => v[k] !== undefined).length === 1;

export const MfaVerifyRequest = z
  .strictObject({ mfa_token: z.string().min(1).max(100), ...proofFields })
  .refine(exactlyOne(['totp_code', 'recovery_code', 'passkey']), { message: 'give exactly one of totp_code, recovery_code, passkey', path: ['totp_code'] })
  .openapi('MfaVerifyRequest');
export const MfaTokenRequest = z.strictObject({ mfa_token: z.string().min(1).max(100) }).openapi('MfaTokenRequest');
export const StepUpRequest = z
  .strictObject({ ...proofFields, password: z.string().min(1).optional().openapi({ description: 'Only for an account without second factors.' }) })
  .refine(exactlyOne(['totp_code', 'recovery_code', 'passkey', 'password']), { message: 'give exactly one of totp_code, recovery_code, passkey, password', path: ['totp_code'] })
  .openapi('StepUpRequest');

const factorKind = z.enum(['totp', 'passkey', 'recovery_code']);

export const Passkey = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    name: z.string(),
    device_type: z.string().openapi({ description: '`singleDevice` (device-bound: amr `hwk`) or `multiDevice` (synced: amr `swk`).' }),
    backed_up: z.boolean(),
    transports: z.array(z.string()),
    created_at: z.string().openapi({ format: 'date-time' }),
    last_used_at: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('Passkey');

const recoveryCodes = z.array(z.string()).openapi({ description: 'Shown once: ten single-use codes. Store them somewhere safe.' });
export const RecoveryCodes = z.object({ recovery_codes: recoveryCodes }).openapi('RecoveryCodes');
export const RegisteredPasskey = z.object({ passkey: Passkey, recovery_codes: recoveryCodes.optional().openapi({ description: 'With the first factor only.' }) }).openapi('RegisteredPasskey');
export const TotpConfirmed = z.object({ recovery_codes: recoveryCodes.optional().openapi({ description: 'With the first factor only.' }) }).openapi('TotpConfirmed');
export const TotpEnrolment = z
  .object({
    secret: z.string().openapi({ description: 'Base32, for typing into an authenticator app.' }),
    otpauth_uri: z.string().openapi({ description: 'otpauth://totp/... for a QR code.' }),
    algorithm: z.literal('SHA1'),
    digits: z.number().int(),
    period: z.number().int(),
  })
  .openapi('TotpEnrolment');
export const FactorOverview = z
  .object({
    factors: z.array(factorKind).openapi({ description: 'What a sign-in or a step-up may be answered with.' }),
    totp: z.object({ enabled: z.boolean() }),
    passkeys: z.array(Passkey),
    recovery_codes: z.object({ remaining: z.number().int() }),
  })
  .openapi('FactorOverview');
export const WebAuthnOptions = z.record(z.string(), z.unknown()).openapi('WebAuthnOptions', {
  description: 'PublicKeyCredentialCreationOptionsJSON or PublicKeyCredentialRequestOptionsJSON (WebAuthn L3): give it to PublicKeyCredential.parseCreationOptionsFromJSON / parseRequestOptionsFromJSON, or to a native passkey library.',
});
export const FactorsReset = z.object({ sessions_ended: z.number().int() }).openapi('FactorsReset');
export const MfaRequiredFields = z
  .object({
    mfa_token: z.string().openapi({ description: 'Single use, valid expires_in seconds; dead after 5 wrong answers.' }),
    expires_in: z.number().int(),
    factors: z.array(factorKind),
  })
  .openapi('MfaRequired', { description: 'Extension members of the 403 `mfa_required` problem (and of the /token error).' });
export const StepUpResponse = z
  .object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int() })
  .openapi('StepUpResponse', { description: 'A new access token for the same session, with the fresh auth_time and amr; the refresh token stays.' });
