import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { USER_ROLES } from '../../db/entities/index';
import { ERROR_CODES } from '../../errors/error-codes';
import { PASSWORD_MAX_CHARACTERS, PASSWORD_MIN_CHARACTERS } from '../../auth/passwords';

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

export const Role = z.enum(USER_ROLES).openapi('Role', { description: 'player (default), developer or admin.' });

export const RegisterRequest = z
  .strictObject({
    email,
    password: newPassword,
    display_name: z.string().trim().min(1).max(100).optional().openapi({ example: 'Mia' }),
    role: Role.optional().openapi({
      description: 'player (default) or developer. Asking for admin is refused with 403 `role_not_allowed`.',
    }),
  })
  .openapi('RegisterRequest');

export const LoginRequest = z.strictObject({ email, password }).openapi('LoginRequest');

export const RefreshRequest = z.strictObject({ refresh_token: refreshToken.optional() }).openapi('RefreshRequest');

/** OAuth clients commonly send these; they are accepted and ignored rather than refused. */
const oauthExtras = {
  scope: z.string().max(1000).optional().openapi({ description: 'Accepted and ignored.' }),
  client_id: z.string().max(200).optional().openapi({ description: 'Accepted and ignored (public clients).' }),
};

export const GRANT_TYPES = ['refresh_token', 'password'] as const;

export const RefreshTokenGrant = z
  .strictObject({ grant_type: z.literal('refresh_token'), refresh_token: refreshToken.optional(), ...oauthExtras })
  .openapi('RefreshTokenGrant');

export const PasswordGrant = z
  .strictObject({
    grant_type: z.literal('password'),
    username: email.optional().openapi({ description: 'The email (OAuth 2.0 name); give `username` or `email`.' }),
    email: email.optional(),
    password,
    ...oauthExtras,
  })
  .openapi('PasswordGrant');

export const TokenRequest = z.discriminatedUnion('grant_type', [RefreshTokenGrant, PasswordGrant]).openapi('TokenRequest');

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
  .strictObject({ role: Role.optional(), is_active: z.boolean().optional() })
  .refine((v) => v.role !== undefined || v.is_active !== undefined, { message: 'give role, is_active or both' })
  .openapi('UpdateUserRequest');

export const UserIdParams = z.strictObject({ id: z.string().openapi({ format: 'uuid' }) });

export const User = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    email: z.string().openapi({ format: 'email' }),
    role: Role,
    display_name: z.string().nullable(),
    email_verified: z.boolean().openapi({ description: 'Whether the address was proven by a link from a mail.' }),
    is_active: z.boolean(),
    created_at: z.string().openapi({ format: 'date-time' }),
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
export const ForgotPasswordRequest = z.strictObject({ email }).openapi('ForgotPasswordRequest');
export const ResetPasswordRequest = z.strictObject({ token: linkToken, password: newPassword }).openapi('ResetPasswordRequest');
export const ChangePasswordRequest = z.strictObject({ current_password: password, new_password: newPassword }).openapi('ChangePasswordRequest');
export const ChangeEmailRequest = z.strictObject({ new_email: email, password }).openapi('ChangeEmailRequest');
export const UpdateMeRequest = z
  .strictObject({ display_name: z.string().trim().min(1).max(100).nullable().openapi({ description: 'null clears it.', example: 'Mia' }) })
  .openapi('UpdateMeRequest');
export const DeleteMeRequest = z.strictObject({ password }).openapi('DeleteMeRequest');
export const Accepted = z
  .object({ status: z.literal('accepted'), detail: z.string() })
  .openapi('Accepted', { description: 'The same body whatever the outcome, so it says nothing about whether an account exists.' });
export const AccessTokenResponse = z
  .object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int() })
  .openapi('AccessTokenResponse', { description: 'A token response without a refresh token: the session and its refresh token stay as they are.' });
