import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { REFUSAL_REASONS } from '../../auth/federation/id-token-errors';
import type { PathHelpers } from './account-paths';
import { GuestRequest, GuestUpgradeRequest, IdTokenRequest, Identity, IdentityList, LinkIdentityRequest } from './federation-schemas';
import { BODY_ERRORS } from './responses';
import { TokenResponse, User } from './schemas';

const REFUSALS = Object.keys(REFUSAL_REASONS) as (keyof typeof REFUSAL_REASONS)[];

/** Sign-in with Apple/Google ID tokens, identities and guest players (issue 25). */
export function registerFederationPaths(registry: OpenAPIRegistry, { path: p, authenticated, problems, json }: PathHelpers): void {
  const tokenWithUser = json(TokenResponse.extend({ user: User }));
  registry.registerPath({
    method: 'post',
    path: p('/id-token'),
    summary: 'Sign in with an Apple or Google ID token (native apps)',
    description:
      "Post the ID token the native SDK returned and the raw nonce whose SHA-256 (hex) the app gave the provider. The token is verified against the provider's JWKS (cached; fetched again for an unknown kid): signature, iss, aud among the configured client ids (azp when there are several audiences), exp/iat/nbf with a small tolerance, the nonce and email_verified; each failure has its own code. The account is the one linked to the provider's sub; else the account of the same address when both sides proved it (an account whose address was never proven loses its password and sessions first: the pre-account-takeover defence); else a new one (201, `created: true`). An account with a second factor answers 403 `mfa_required` (the MfaRequired members: `mfa_token`, `expires_in`, `factors`) instead of tokens, as POST login does, after the account's link or defence has been kept; POST mfa/verify completes it (amr fed, otp/hwk/swk, mfa).",
    request: { body: json(IdTokenRequest) },
    responses: {
      200: { description: 'Signed in to an existing account (`created: false`).', ...tokenWithUser },
      201: { description: 'Signed up: a new account (`created: true`).', ...tokenWithUser },
      ...problems(...BODY_ERRORS, 'unknown_provider', ...REFUSALS, 'provider_unavailable', 'account_disabled', 'mfa_required', 'csrf_failed'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: p('/me/identities'),
    summary: 'My linked provider accounts',
    security: authenticated,
    responses: { 200: { description: 'Oldest first.', ...json(IdentityList) }, ...problems('invalid_token') },
  });
  registry.registerPath({
    method: 'post',
    path: p('/me/identities'),
    summary: 'Link a provider account (with a fresh sign-in of it)',
    security: authenticated,
    request: { body: json(LinkIdentityRequest) },
    responses: {
      201: { description: 'Linked (or already linked to this account).', ...json(Identity) },
      ...problems(...BODY_ERRORS, 'invalid_token', 'unknown_provider', ...REFUSALS, 'provider_unavailable', 'identity_in_use', 'guest_not_allowed'),
    },
  });
  registry.registerPath({
    method: 'delete',
    path: p('/me/identities/{id}'),
    summary: 'Unlink a provider account',
    description: 'Refused with 409 `last_identity` when it is the last way in (no password and no other identity).',
    security: authenticated,
    responses: { 204: { description: 'Unlinked.' }, ...problems('invalid_token', 'not_found', 'last_identity') },
  });
  registry.registerPath({
    method: 'post',
    path: p('/guest'),
    summary: 'Play as a guest',
    description:
      'A new guest account (role `guest`, `is_anonymous: true` in the token and at /me, no address) and its session. Limited per client address (GUEST_MAX_PER_IP); unused guests are pruned after GUEST_LIFETIME_SECONDS. When CAPTCHA_REQUIRED_FOR has `guest` (the default once a CAPTCHA provider is configured), send the widget\'s token (action `guest`) as `captcha_token` in a JSON body.',
    request: { body: { required: false, ...json(GuestRequest) } },
    responses: { 201: { description: 'A guest session.', ...tokenWithUser }, ...problems(...BODY_ERRORS, 'rate_limited', 'csrf_failed', 'captcha_required', 'captcha_failed', 'captcha_unavailable') },
  });
  registry.registerPath({
    method: 'post',
    path: p('/guest/upgrade'),
    summary: 'Turn the guest into a player, keeping its id',
    description:
      'With an address and a password (a verification mail follows) or a provider sign-in. The user id stays, so what other services stored for the guest stays its own. A password upgrade is a registration and passes what POST register does: the CAPTCHA (action `register`), the address policy, the registration throttle and the breached-password check.',
    security: authenticated,
    request: { body: json(GuestUpgradeRequest) },
    responses: {
      200: { description: 'Upgraded; a new session of the same user.', ...tokenWithUser },
      ...problems(...BODY_ERRORS, 'invalid_token', 'not_a_guest', 'email_taken', 'weak_password', 'identity_in_use', 'unknown_provider', ...REFUSALS, 'provider_unavailable'),
      ...problems('email_not_allowed', 'password_breached', 'breach_check_unavailable', 'captcha_required', 'captcha_failed', 'captcha_unavailable', 'rate_limited', 'server_busy'),
    },
  });
}
