import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { DEVICE_CODE_GRANT } from '../../auth/developer-credentials/device-token';
import { PAT_TOKEN_TYPE } from '../../auth/developer-credentials/pat-exchange';
import { PAT_SCOPE_NAMES, PAT_SCOPES } from '../../auth/developer-credentials/scopes';

/**
 * Schemas of the developer credentials (issue 28): the device login (RFC 8628) and personal access
 * tokens. schemas.ts takes DeviceCodeGrant into the token endpoint's union; this file imports
 * nothing from it.
 */
extendZodWithOpenApi(z);

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'expected a uuid' }).openapi({ format: 'uuid' });
const scopeWords = PAT_SCOPE_NAMES.map((s) => `\`${s}\` (${PAT_SCOPES[s].roles.join(', ')}): ${PAT_SCOPES[s].words}`).join('; ');

export const DeviceAuthorizationRequest = z
  .strictObject({
    client_id: z.string().min(1).max(100).openapi({ example: 'cathouse-cli', description: 'A public client named in DEVICE_CLIENT_IDS.' }),
    scope: z.string().max(1000).optional().openapi({ description: 'Accepted and stored; the resulting session is a full session of the user.' }),
  })
  .openapi('DeviceAuthorizationRequest');

export const DeviceAuthorizationResponse = z
  .object({
    device_code: z.string().openapi({ description: "The CLI's secret: poll /token with it." }),
    user_code: z.string().openapi({ example: 'WDJB-MJHT', description: 'What the person types on the verification page.' }),
    verification_uri: z.string().openapi({ example: 'https://auth.cathouse.example/device' }),
    verification_uri_complete: z.string().openapi({ example: 'https://auth.cathouse.example/device?user_code=WDJB-MJHT' }),
    expires_in: z.number().int().openapi({ example: 600 }),
    interval: z.number().int().openapi({ example: 5, description: 'Seconds to wait between polls.' }),
  })
  .openapi('DeviceAuthorizationResponse', { description: 'RFC 8628 §3.2.' });

export const DeviceCodeGrant = z
  .strictObject({
    grant_type: z.literal(DEVICE_CODE_GRANT),
    device_code: z.string().min(1).max(200),
    client_id: z.string().min(1).max(100).openapi({ example: 'cathouse-cli' }),
  })
  .openapi('DeviceCodeGrant', {
    description:
      'RFC 8628 §3.4: poll until the person decides. Errors (RFC 8628 §3.5, 400): `authorization_pending` (keep polling), `slow_down` (add 5 s to the interval, for good), `access_denied`, `expired_token` (stop); `invalid_grant` for an unknown or already redeemed code. Success: a TokenResponse whose refresh token is always in the body; the session is listed in GET me/sessions.',
  });

export const CreatePatRequest = z
  .strictObject({
    name: z.string().trim().min(1).max(100).openapi({ example: 'CI publish' }),
    scopes: z.array(z.string().max(50)).min(1).max(20).openapi({ description: `A subset of what your role may do: ${scopeWords}.`, example: ['cats:publish'] }),
    expires_at: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time, e.g. 2027-01-31T00:00:00Z' }).openapi({ description: 'Required: between a minute and PAT_MAX_TTL_DAYS (default 366) days ahead.' }),
  })
  .openapi('CreatePatRequest');

export const PatIdParams = z.strictObject({ id: uuid });

export const Pat = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    name: z.string(),
    token_prefix: z.string().openapi({ example: 'chp_AbCd', description: 'The first characters, to recognise the token.' }),
    scopes: z.array(z.string()),
    status: z.enum(['active', 'expired', 'revoked']),
    created_at: z.string().openapi({ format: 'date-time' }),
    expires_at: z.string().openapi({ format: 'date-time' }),
    last_used_at: z.string().nullable().openapi({ format: 'date-time', description: 'Last exchange at /token.' }),
    last_used_ip: z.string().nullable().openapi({ description: 'The address of the last exchange.' }),
    revoked_at: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('PersonalAccessToken');

export const CreatedPat = Pat.extend({
  token: z.string().openapi({ example: 'chp_AbCd…', description: 'Shown in this answer only: the service keeps its hash.' }),
}).openapi('CreatedPersonalAccessToken');

export const PatList = z.object({ tokens: z.array(Pat) }).openapi('PersonalAccessTokens');
export const PatRevokeAll = z.object({ revoked: z.number().int() }).openapi('PersonalAccessTokensRevoked');

export const PatExchangeResponse = z
  .object({
    access_token: z.string().openapi({ description: 'ES256 JWT (`typ: at+jwt`) for JWT_AUDIENCE with `scope` and `pat_id` instead of `sid` (docs/verifying-tokens.md).' }),
    issued_token_type: z.literal('urn:ietf:params:oauth:token-type:access_token'),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().openapi({ example: 900 }),
    scope: z.string().openapi({ example: 'cats:publish' }),
  })
  .openapi('PatExchangeResponse', { description: `RFC 8693 §2.2.1 for subject_token_type ${PAT_TOKEN_TYPE}; no refresh token (exchange again).` });
