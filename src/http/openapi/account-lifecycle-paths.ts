import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { BODY_ERRORS, json, problems } from './responses';
import {
  Accepted,
  AccessTokenResponse,
  ChangeEmailRequest,
  ChangePasswordRequest,
  DeleteMeRequest,
  ForgotPasswordRequest,
  ResetPasswordRequest,
  UpdateMeRequest,
  User,
  VerifyEmailRequest,
  VerifyEmailResponse,
} from './schemas';

/** The account lifecycle endpoints (issue 10; src/http/routes/account.ts). */
export function registerAccountPaths(registry: OpenAPIRegistry, p: (path: string) => string, authenticated: Record<string, string[]>[]): void {
  const linkNote =
    ' The token comes from a link in a mail (`APP_URL` + the page path, `#token=` or `?token=`); the page POSTs it here. Opening the link never spends it (mail scanners open links). A link dies when the account\'s password or email changes, or the account is deactivated or deleted (the security stamp), and answers 400 `link_invalid` like any dead link.';
  const mailLimits =
    ' Limited per email address and client address, per email address from all clients, by a short per-address debounce and per client address (MAIL_MAX_PER_ADDRESS, MAIL_MAX_PER_ADDRESS_TOTAL, MAIL_ADDRESS_DEBOUNCE_SECONDS, MAIL_MAX_PER_IP): 429 `rate_limited` says which, with Retry-After.';
  const staleNote =
    ' Written only if this session is still live and the account unchanged since the password was checked: otherwise 401 `invalid_token` and nothing is written (a reset that completed meanwhile ended the session).';
  const noStore = { 'Cache-Control': { description: 'no-store', schema: { type: 'string' as const } } };
  registry.registerPath({
    method: 'post',
    path: p('/verify-email'),
    summary: 'Verify an email address, or confirm an email change',
    description: `Spends a verification token (sets email_verified, and grants the developer role registration asked for) or an email-change token (switches to the new address, if it is still free, marks it verified, ends every other link of the account and mails the old address a notice).${linkNote}`,
    request: { body: { required: true, ...json(VerifyEmailRequest) } },
    responses: { 200: { description: 'Verified.', headers: noStore, ...json(VerifyEmailResponse) }, ...problems(...BODY_ERRORS, 'link_invalid', 'email_taken') },
  });
  registry.registerPath({
    method: 'post',
    path: p('/verify-email/resend'),
    summary: 'Send a new verification mail',
    description: 'Earlier verification links stop working. Counted per account (MAIL_MAX_PER_ADDRESS per MAIL_LIMIT_WINDOW_SECONDS) and per client address, never against the budgets strangers can spend on the address: 429 `rate_limited` with Retry-After.',
    security: authenticated,
    responses: { 202: { description: 'Queued.', ...json(Accepted) }, ...problems('invalid_token', 'already_verified', 'rate_limited') },
  });
  registry.registerPath({
    method: 'post',
    path: p('/password/forgot'),
    summary: 'Ask for a password reset link',
    description: `Always 202 with the same body, whether or not an account uses the address (no enumeration); a mail goes only to an active account. A newer request makes older links stop working.${mailLimits}`,
    request: { body: { required: true, ...json(ForgotPasswordRequest) } },
    responses: { 202: { description: 'Accepted (the same for every address).', ...json(Accepted) }, ...problems(...BODY_ERRORS, 'rate_limited') },
  });
  registry.registerPath({
    method: 'post',
    path: p('/password/reset'),
    summary: 'Set a new password with a reset token',
    description: `Ends every session of the user and every other mail link of the account, marks the email verified and mails a notice. Log in afterwards.${linkNote}`,
    request: { body: { required: true, ...json(ResetPasswordRequest) } },
    responses: { 204: { description: 'Password set.' }, ...problems(...BODY_ERRORS, 'link_invalid', 'weak_password', 'server_busy') },
  });
  registry.registerPath({
    method: 'post',
    path: p('/password/change'),
    summary: 'Change the password',
    description: `Needs the current password, checked under the login throttle (429 past its limits). Ends every other session of the user and every mail link of the account, keeps this session, and mails a notice. At most PASSWORD_CHANGE_MAX_PER_ACCOUNT changes per account per PASSWORD_CHANGE_WINDOW_SECONDS (429 beyond).${staleNote}`,
    security: authenticated,
    request: { body: { required: true, ...json(ChangePasswordRequest) } },
    responses: { 204: { description: 'Changed.' }, ...problems(...BODY_ERRORS, 'invalid_token', 'invalid_credentials', 'rate_limited', 'weak_password', 'server_busy') },
  });
  registry.registerPath({
    method: 'post',
    path: p('/email/change'),
    summary: 'Change the email address',
    description: `Needs the password. Mails a confirmation link to the new address (to the verification page) and a notice to the current one; the address changes when the link is used, if it is still free then. An address under a reserved top-level domain (EMAIL_REFUSED_TLDS) is 400 \`email_not_allowed\`.${mailLimits}${staleNote}`,
    security: authenticated,
    request: { body: { required: true, ...json(ChangeEmailRequest) } },
    responses: {
      202: { description: 'Confirmation mail queued.', ...json(Accepted) },
      ...problems(...BODY_ERRORS, 'invalid_token', 'invalid_credentials', 'email_taken', 'email_not_allowed', 'rate_limited', 'server_busy'),
    },
  });
  registry.registerPath({
    method: 'patch',
    path: p('/me'),
    summary: 'Change your profile',
    description: 'display_name: at most 100 characters, at least one visible, no format (Unicode Cf: bidi overrides, zero-width characters) or control characters: other people see it (400 `invalid_request` otherwise).',
    security: authenticated,
    request: { body: { required: true, ...json(UpdateMeRequest) } },
    responses: { 200: { description: 'The updated user.', ...json(User) }, ...problems(...BODY_ERRORS, 'invalid_token') },
  });
  registry.registerPath({
    method: 'delete',
    path: p('/me'),
    summary: 'Delete your account',
    description: `Needs the password, checked under the login throttle (429 past its limits). Ends every session; the row is kept for history but anonymised (email set to null, password hash and display name cleared, deleted_at set) and can never log in again; the account's mail-link tokens are deleted and its outbox rows lose their addresses. The last active admin cannot delete the account.${staleNote}`,
    security: authenticated,
    request: { body: { required: true, ...json(DeleteMeRequest) } },
    responses: { 204: { description: 'Deleted.' }, ...problems(...BODY_ERRORS, 'invalid_token', 'invalid_credentials', 'rate_limited', 'last_admin', 'server_busy') },
  });
  registry.registerPath({
    method: 'post',
    path: p('/me/developer'),
    summary: 'Become a developer',
    description:
      'A player with a verified email becomes a developer (403 `email_not_verified` before; 403 `role_not_allowed` while an admin\'s demotion stands), recorded as role_changed. Answers a new access token for the same session carrying the new role; the refresh token stays as it is.',
    security: authenticated,
    responses: { 200: { description: 'The new access token.', headers: noStore, ...json(AccessTokenResponse) }, ...problems('invalid_token', 'email_not_verified', 'role_not_allowed') },
  });
}
