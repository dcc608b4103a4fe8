// Over 250 lines on purpose: the request and answer schemas of the core auth endpoints, one declaration each, read
// together by the OpenAPI document; the other endpoint groups have their own *-schemas.ts.
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ASSIGNABLE_ROLES, USER_ROLES } from '../../db/entities/index';
import { ERROR_CODES } from '../../errors/error-codes';
import { displayName } from './display-name';
import { PASSWORD_MAX_CHARACTERS, PASSWORD_MIN_CHARACTERS } from '../../auth/accounts/passwords';
import { TOKEN_EXCHANGE_SCOPE } from '../../auth/tokens/service-clients';
import { captchaToken, localeField } from './request-fields';
import { ACCESS_TOKEN_TYPE_URN, INSTALLATION_RESOURCE_PREFIX, TOKEN_EXCHANGE_GRANT } from '../../auth/tokens/token-exchange';
import { DEVICE_CODE_GRANT } from '../../auth/developer-credentials/device-token';
import { PAT_TOKEN_TYPE } from '../../auth/developer-credentials/pat-exchange';
import { DeviceCodeGrant } from './developer-credentials-schemas';

/**
 * The request and response schemas of the auth API. Requests are validated with exactly these
 * objects, and the OpenAPI document (document.ts) is generated from them, so the two cannot drift.
 * Request objects are strict: an unknown field is an error, not something silently ignored.
 */
extendZodWithOpenApi(z);

const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(320)
  .email()
  .openapi({ description: 'Compared trimmed and case-insensitively.', example: 'mia@cathouse.example' });

const newPassword = z.string().openapi({
  description: `At least ${PASSWORD_MIN_CHARACTERS} and at most ${PASSWORD_MAX_CHARACTERS} characters (Unicode code points after NFKC normalisation); no composition rules. A password outside these bounds is answered with \`weak_password\`.`,
  minLength: PASSWORD_MIN_CHARACTERS,
  maxLength: PASSWORD_MAX_CHARACTERS,
  example: 'correct horse battery staple',
});

const password = z.string().min(1).openapi({ example: 'correct horse battery staple' });

const refreshToken = z.string().min(1).max(512).openapi({
  description: 'The opaque refresh token of the last token response. In cookie mode leave it out: the `__Host-refresh_token` cookie is used.',
});

export const Role = z.enum(ASSIGNABLE_ROLES).openapi('Role', { description: 'player (default), developer or admin.' });

export const RegisterRequest = z
  .strictObject({
    email,
    password: newPassword,
    display_name: displayName.optional(),
    role: Role.optional().openapi({
      description:
        'player (default) or developer. The account starts as a player either way; developer is granted when the email is verified (POST verify-email). Asking for admin is refused with 403 `role_not_allowed`.',
    }),
    captcha_token: captchaToken,
    locale: localeField.optional(),
  })
  .openapi('RegisterRequest');

export const LoginRequest = z.strictObject({ email, password, captcha_token: captchaToken }).openapi('LoginRequest');

export const RefreshRequest = z.strictObject({ refresh_token: refreshToken.optional() }).openapi('RefreshRequest');

/** OAuth clients commonly send these; they are accepted and ignored rather than refused. */
const oauthExtras = {
  scope: z.string().max(1000).optional().openapi({ description: 'Accepted and ignored.' }),
  client_id: z.string().max(200).optional().openapi({ description: 'Accepted and ignored (public clients).' }),
};

export const GRANT_TYPES = ['refresh_token', 'password', 'client_credentials', TOKEN_EXCHANGE_GRANT, DEVICE_CODE_GRANT] as const;
/** Grants that never touch the refresh cookie (service clients, and issue 28's device code), so no cookie-mode CSRF guard. */
export const CLIENT_GRANT_TYPES: readonly string[] = ['client_credentials', TOKEN_EXCHANGE_GRANT, DEVICE_CODE_GRANT];

export const RefreshTokenGrant = z
  .strictObject({ grant_type: z.literal('refresh_token'), refresh_token: refreshToken.optional(), ...oauthExtras })
  .openapi('RefreshTokenGrant');

export const PasswordGrant = z
  .strictObject({
    grant_type: z.literal('password'),
    username: email.optional().openapi({ description: 'The email (OAuth 2.0 name); give `username` or `email`.' }),
    email: email.optional(),
    password,
    captcha_token: captchaToken,
    ...oauthExtras,
  })
  .openapi('PasswordGrant');

/** RFC 6749 §2.3.1 client_secret_post; the same credentials may come as HTTP Basic (client_secret_basic) instead. */
const clientAuthentication = {
  client_id: z.string().min(1).max(200).optional().openapi({ description: 'client_secret_post: the client id (or send HTTP Basic instead).', example: 'proxy' }),
  client_secret: z.string().min(1).max(200).optional().openapi({ description: 'client_secret_post: the client secret (or send HTTP Basic instead).' }),
};

export const ClientCredentialsGrant = z
  .strictObject({
    grant_type: z.literal('client_credentials'),
    scope: z.string().max(1000).optional().openapi({
      description: 'Space-separated scopes, a subset of the client\'s; all of them when absent. Any other is `invalid_scope`.',
      example: 'users:read installations:read',
    }),
    ...clientAuthentication,
  })
  .openapi('ClientCredentialsGrant', { description: 'RFC 6749 §4.4. A service token: `sub` and `client_id` name the client, `aud` is SERVICE_TOKEN_AUDIENCE; no refresh token.' });

export const TokenExchangeGrant = z
  .strictObject({
    grant_type: z.literal(TOKEN_EXCHANGE_GRANT),
    subject_token: z.string().min(1).max(4096).openapi({ description: "The user's access token, or (issue 28) a personal access token." }),
    subject_token_type: z.string().max(200).openapi({ example: ACCESS_TOKEN_TYPE_URN, description: `${ACCESS_TOKEN_TYPE_URN} (installation tokens, client authentication required) or ${PAT_TOKEN_TYPE} (a personal access token: no client authentication).` }),
    scope: z.string().max(1000).optional().openapi({ description: 'Personal access tokens only: a subset of the token\'s scopes (all of them when absent).' }),
    requested_token_type: z.string().max(200).optional().openapi({ description: `Only ${ACCESS_TOKEN_TYPE_URN}.` }),
    installation_id: z.string().max(100).optional().openapi({ format: 'uuid', description: 'The installation (or use `resource`).' }),
    resource: z.string().max(200).optional().openapi({ example: `${INSTALLATION_RESOURCE_PREFIX}3f0c…`, description: 'RFC 8707: the installation as a URN.' }),
    audience: z.string().max(200).optional().openapi({ description: 'If given, must be `cat:<cat_id>` of the installation.' }),
    ...clientAuthentication,
  })
  .openapi('TokenExchangeGrant', {
    description: `RFC 8693 subset: a client with the scope \`${TOKEN_EXCHANGE_SCOPE}\` exchanges a user's access token for an installation token (\`aud\` cat:<cat_id>, \`sub\` the user, \`installation_id\`, \`cat_id\`, \`perms\`, \`act\`).`,
  });

export const TokenRequest = z
  .discriminatedUnion('grant_type', [RefreshTokenGrant, PasswordGrant, ClientCredentialsGrant, TokenExchangeGrant, DeviceCodeGrant])
  .openapi('TokenRequest');

export const LogoutRequest = z
  .strictObject({
    refresh_token: refreshToken.optional(),
    scope: z
      .enum(['local', 'global', 'others'])
      .optional()
      .openapi({ description: '`local` (default) ends this session, `global` every session of the user, `others` every one but this.' }),
  })
  .openapi('LogoutRequest');

export const UpdateUserRequest = z
  .strictObject({
    role: Role.optional().openapi({ description: 'Making a user a player blocks the developer role for them (developer_blocked) until an admin lifts it.' }),
    is_active: z.boolean().optional(),
    developer_blocked: z.boolean().optional().openapi({ description: 'false lets the user take the developer role again (POST me/developer); true blocks it.' }),
  })
  .refine((v) => v.role !== undefined || v.is_active !== undefined || v.developer_blocked !== undefined, { message: 'give role, is_active or developer_blocked' })
  .openapi('UpdateUserRequest');

export const UserIdParams = z.strictObject({ id: z.string().openapi({ format: 'uuid' }) });

export const User = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    email: z.string().nullable().openapi({ format: 'email', description: 'null for a deleted account (the address is erased) and for a guest player.' }),
    role: z.enum(USER_ROLES).openapi({ description: 'player, developer or admin; guest for a guest player (issue 25).' }),
    is_anonymous: z.boolean().openapi({ description: 'True for a guest player (no email, no password) until it upgrades.' }),
    display_name: z.string().nullable(),
    email_verified: z.boolean().openapi({ description: 'Whether the address was proven by a link from a mail.' }),
    is_active: z.boolean(),
    created_at: z.string().openapi({ format: 'date-time' }),
    locale: z.string().nullable().openapi({ description: 'The language of the user\'s mail (issue 30), e.g. `es`; null: the service default (MAIL_DEFAULT_LOCALE).', example: 'es' }),
  })
  .openapi('User');

export const TokenResponse = z
  .object({
    access_token: z.string().openapi({ description: 'ES256 JWT (`typ: at+jwt`); send as `Authorization: Bearer <token>`.' }),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().openapi({ description: 'Seconds until the access token expires.', example: 900 }),
    refresh_token: z.string().optional().openapi({
      description: 'Rotated on every use: store the new one. Absent in cookie mode (it is in the `__Host-refresh_token` cookie).',
    }),
  })
  .openapi('TokenResponse');

export const ServiceTokenResponse = z
  .object({
    access_token: z.string().openapi({ description: 'ES256 JWT (`typ: at+jwt`).' }),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().openapi({ example: 300 }),
    scope: z.string().openapi({ description: 'The granted scopes, space-separated.' }),
  })
  .openapi('ServiceTokenResponse', { description: 'Client credentials: no refresh token.' });

export const TokenExchangeResponse = z
  .object({
    access_token: z.string().openapi({ description: 'ES256 JWT (`typ: at+jwt`), `aud` = `cat:<cat_id>`.' }),
    issued_token_type: z.literal(ACCESS_TOKEN_TYPE_URN),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().openapi({ example: 300 }),
  })
  .openapi('TokenExchangeResponse', { description: 'RFC 8693 §2.2.1; no refresh token.' });

/** RFC 6749 §5.2 error response: what /token answers instead of problem+json. */
export const OAuthError = z
  .object({
    error: z.string().openapi({
      description:
        'invalid_request, invalid_client (401, WWW-Authenticate), invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope, invalid_target (RFC 8693), temporarily_unavailable, server_error; and rate_limited (429, Retry-After) or csrf_failed (403).',
    }),
    error_description: z.string(),
    request_id: z.string().optional(),
    retry_after: z.number().int().optional(),
  })
  .openapi('OAuthError', { description: 'RFC 6749 §5.2 (application/json, Cache-Control: no-store).' });

export const AuthResponse = TokenResponse.extend({ user: User }).openapi('AuthResponse');

export const Jwks = z
  .object({
    keys: z.array(
      z.object({
        kty: z.literal('EC'),
        crv: z.literal('P-256'),
        x: z.string(),
        y: z.string(),
        kid: z.string().openapi({ description: 'RFC 7638 thumbprint of the key.' }),
        alg: z.literal('ES256'),
        use: z.literal('sig'),
      }),
    ),
  })
  .openapi('JWKS');

export const Problem = z
  .object({
    type: z.string().openapi({ example: 'urn:cathouse:problem:invalid_request' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    error: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]).openapi({
      description: 'Stable machine-readable code: branch on this, never on `detail`.',
    }),
    request_id: z.string().optional(),
    invalid_params: z.array(z.object({ name: z.string(), reason: z.string() })).optional(),
    retry_after: z.number().int().optional(),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details (application/problem+json).' });

// Account lifecycle (issue 10).
const linkToken = z.string().min(1).max(200).openapi({
  description: 'The token from the link of the mail (the `token` parameter of its fragment or query). Spent by this POST, never by opening the link.',
});

export const VerifyEmailRequest = z.strictObject({ token: linkToken }).openapi('VerifyEmailRequest');
export const VerifyEmailResponse = z
  .object({ email: z.string().openapi({ format: 'email' }), email_verified: z.literal(true) })
  .openapi('VerifyEmailResponse');
export const ForgotPasswordRequest = z.strictObject({ email, captcha_token: captchaToken }).openapi('ForgotPasswordRequest');
export const ResetPasswordRequest = z.strictObject({ token: linkToken, password: newPassword }).openapi('ResetPasswordRequest');
export const ChangePasswordRequest = z.strictObject({ current_password: password, new_password: newPassword }).openapi('ChangePasswordRequest');
export const ChangeEmailRequest = z.strictObject({ new_email: email, password }).openapi('ChangeEmailRequest');
export const UpdateMeRequest = z
  .strictObject({ display_name: displayName.nullable().optional().openapi({ description: 'null clears it.' }), locale: localeField.nullable().optional() })
  .openapi('UpdateMeRequest');
export const DeleteMeRequest = z.strictObject({ password }).openapi('DeleteMeRequest');
export const Accepted = z
  .object({ status: z.literal('accepted'), detail: z.string() })
  .openapi('Accepted', { description: 'The same body whatever the outcome, so it says nothing about whether an account exists.' });
export const AccessTokenResponse = z
  .object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int() })
  .openapi('AccessTokenResponse', { description: 'A token response without a refresh token: the session and its refresh token stay as they are.' });
