import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { PathHelpers } from './account-paths';
import { RedirectCallbackForm, RedirectExchangeRequest, RedirectStartQuery } from './federation-redirect-schemas';
import { BODY_ERRORS } from './responses';
import { TokenResponse, User } from './schemas';

/** Web redirect sign-in with any OpenID provider (issue 25 item 2); only served when WEB_SIGN_IN_PROVIDERS is set. */
export function registerFederationRedirectPaths(registry: OpenAPIRegistry, { path: p, problems, json }: PathHelpers): void {
  registry.registerPath({
    method: 'get',
    path: p('/redirect/{provider}'),
    summary: 'Start a web sign-in with a configured OpenID provider (browser navigation)',
    description:
      'Navigate the browser here (not fetch). Answers 302 to the provider (authorization code, PKCE S256, state, nonce; endpoints from the issuer\'s discovery document) and sets the signed, HttpOnly `__Host-redirect_state` cookie (SameSite=Lax; None for a form_post provider) that the callback needs (valid WEB_SIGN_IN_STATE_TTL_SECONDS).',
    request: { query: RedirectStartQuery },
    responses: { 302: { description: 'To the provider.' }, ...problems('return_to_not_allowed', 'code_challenge_required', 'invalid_request', 'unknown_provider', 'provider_unavailable') },
  });
  registry.registerPath({
    method: 'get',
    path: p('/redirect/callback'),
    summary: "The providers' redirect_uri (WEB_SIGN_IN_CALLBACK_URL)",
    description:
      'Checks state against the cookie, exchanges the code and validates the ID token (openid-client), then signs in, signs up or links as POST id-token does (the pre-account-takeover defence included). Always answers 303 to the allow-listed frontend URL: with `?code=` (one-time, about 2 minutes) on success, or `?error=invalid_request|access_denied|temporarily_unavailable|account_disabled|server_error&error_description=` (RFC 6749 §4.1.2.1). Never tokens in the URL.',
    responses: { 303: { description: 'To the frontend URL with `code` or `error`.' } },
  });
  registry.registerPath({
    method: 'post',
    path: p('/redirect/callback'),
    summary: "The providers' redirect_uri, answered by form_post (Sign in with Apple)",
    description:
      "A provider configured with `response_mode: form_post` (Apple's default: Apple posts whenever the name or email scope is asked) sends the browser back with a cross-site POST of these fields; the start's state cookie is SameSite=None for such a provider so that it arrives. Everything else is as GET redirect/callback, the same 303 with `code` or `error`.",
    request: { body: { content: { 'application/x-www-form-urlencoded': { schema: RedirectCallbackForm } } } },
    responses: { 303: { description: 'To the frontend URL with `code` or `error`.' } },
  });
  registry.registerPath({
    method: 'post',
    path: p('/redirect/exchange'),
    summary: 'Spend the one-time code of a redirect sign-in for a session',
    description: 'The token response of the configured browser mode, as POST login: in cookie mode the refresh token goes into the HttpOnly cookie (send `X-Requested-With`). An account with a second factor answers 403 `mfa_required` (the MfaRequired members) instead, the code spent all the same; POST mfa/verify completes it with the same token response.',
    request: { body: json(RedirectExchangeRequest) },
    responses: { 200: { description: 'Signed in.', ...json(TokenResponse.extend({ user: User })) }, ...problems(...BODY_ERRORS, 'invalid_grant', 'mfa_required', 'csrf_failed') },
  });
}
