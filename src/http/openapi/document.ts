import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { registerSessionAndAdminPaths } from './account-paths';
import { registerAccountPaths } from './account-lifecycle-paths';
import { registerOidcPaths } from './oidc-paths';
import { registerFederationPaths } from './federation-paths';
import { registerFederationRedirectPaths } from './federation-redirect-paths';
import { registerDeveloperCredentialsPaths } from './developer-credentials-paths';
import { PatExchangeResponse } from './developer-credentials-schemas';
import { registerEventPaths } from './events-paths';
import { registerFactorPaths } from './factor-paths';
import { BODY_ERRORS, json, problems } from './responses';
import { TOKEN_EXCHANGE_GRANT } from '../../auth/tokens/token-exchange';
import {
  AuthResponse,
  Jwks,
  LoginRequest,
  LogoutRequest,
  OAuthError,
  ServiceTokenResponse,
  TokenExchangeResponse,
  RefreshRequest,
  RegisterRequest,
  TokenRequest,
  TokenResponse,
  UpdateUserRequest,
  User,
  UserIdParams,
} from './schemas';

export interface DocumentOptions {
  apiPrefix: string;
  jwksPath: string;
}

/** The OpenAPI 3.1 document of the auth API, generated from the zod schemas that validate requests. */
export function buildOpenApiDocument({ apiPrefix, jwksPath }: DocumentOptions) {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT (ES256, typ at+jwt)',
  });
  const authenticated = [{ [bearer.name]: [] }];
  const clientBasic = registry.registerComponent('securitySchemes', 'clientSecretBasic', {
    type: 'http',
    scheme: 'basic',
    description: 'client_secret_basic (RFC 6749 §2.3.1): client_id and client_secret of a service client (npm run admin -- clients create).',
  });
  const p = (path: string) => `${apiPrefix}${path}`;
  const tokenHeaders = {
    'Cache-Control': { description: 'no-store', schema: { type: 'string' as const } },
    'Set-Cookie': { description: 'Cookie mode only: `__Host-refresh_token`; HttpOnly; Secure; SameSite=Strict; Path=/', schema: { type: 'string' as const } },
  };
  const cookieNote =
    ' In cookie mode (REFRESH_TOKEN_COOKIE=true) the refresh token is set as the `__Host-refresh_token` cookie instead of returned, and the request must carry `X-Requested-With` and, if it sends `Origin`, a listed origin.';

  registry.registerPath({
    method: 'post',
    path: p('/register'),
    summary: 'Create an account and log in',
    description: `Creates a player account and starts a session; \`role: developer\` is granted when the email is verified. Attempts are limited per client address, per IPv6 network (a /56, a /48 share multiples of it) and, softly, for the service (above REGISTER_MAX_GLOBAL one per address): 429 with Retry-After, a 409 counting like a 201; when too many password hashes are running the answer is 503 \`server_busy\` with Retry-After. An address under a reserved top-level domain is 400 \`email_not_allowed\`.${cookieNote}`,
    request: { body: { required: true, ...json(RegisterRequest) } },
    responses: {
      201: { description: 'Registered and logged in.', headers: tokenHeaders, ...json(AuthResponse) },
      ...problems(...BODY_ERRORS, 'weak_password', 'email_taken', 'email_not_allowed', 'role_not_allowed', 'csrf_failed', 'rate_limited', 'server_busy'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: p('/login'),
    summary: 'Log in with email and password',
    description: `Unknown email and wrong password both answer \`invalid_credentials\`. Failed logins are throttled per account and client address, per client address, and (softly) per account for clients that have failed (429 with Retry-After); a client that has not failed is never locked out by others. Too many password checks at once answer 503 \`server_busy\`.${cookieNote}`,
    request: { body: { required: true, ...json(LoginRequest) } },
    responses: {
      200: { description: 'Logged in.', headers: tokenHeaders, ...json(AuthResponse) },
      ...problems(...BODY_ERRORS, 'invalid_credentials', 'account_disabled', 'mfa_required', 'rate_limited', 'server_busy', 'csrf_failed'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: p('/refresh'),
    summary: 'Rotate the refresh token',
    description: `Returns a new access token and a new refresh token; the old refresh token is spent. Presenting it again within the reuse interval (default 10 s) returns the same new token (tabs refreshing at once); any later reuse ends the session (\`invalid_grant\`).${cookieNote}`,
    request: { body: { required: false, ...json(RefreshRequest) } },
    responses: {
      200: { description: 'Rotated.', headers: tokenHeaders, ...json(TokenResponse) },
      ...problems(...BODY_ERRORS, 'invalid_grant', 'csrf_failed'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: p('/token'),
    summary: 'OAuth 2.0 token endpoint',
    description: `grant_type \`refresh_token\` (RFC 6749 §6), \`password\` (§4.3, with \`username\` or \`email\`), \`client_credentials\` (§4.4: a service token, no refresh token) or \`${TOKEN_EXCHANGE_GRANT}\` (RFC 8693: an installation token for the proxy; or, with \`subject_token_type=urn:cathouse:params:oauth:token-type:personal_access_token\` and no client authentication, a personal access token exchanged for a short-lived access token with its \`scope\`), \`urn:ietf:params:oauth:grant-type:device_code\` (RFC 8628: the CLI's device login; \`authorization_pending\`, \`slow_down\`, \`access_denied\`, \`expired_token\`), as JSON or application/x-www-form-urlencoded. The client grants authenticate the client with HTTP Basic (\`client_secret_basic\`) or \`client_id\` + \`client_secret\` in the body (\`client_secret_post\`); wrong secrets are throttled (429). Errors here are RFC 6749 §5.2 JSON (\`application/json\`, \`error\`, \`error_description\`, \`Cache-Control: no-store\`), not problem+json: a wrong password is 400 \`invalid_grant\`; failed client authentication is 401 \`invalid_client\` with \`WWW-Authenticate: Basic\`.${cookieNote} The cookie-mode CSRF check applies to the password and refresh grants only.`,
    security: [{}, { [clientBasic.name]: [] }],
    request: {
      body: {
        required: true,
        content: {
          'application/json': { schema: TokenRequest },
          'application/x-www-form-urlencoded': { schema: TokenRequest },
        },
      },
    },
    responses: {
      200: {
        description: 'Token response: TokenResponse (password, refresh_token, device_code), ServiceTokenResponse (client_credentials), TokenExchangeResponse (token exchange) or PatExchangeResponse (a personal access token exchanged).',
        headers: tokenHeaders,
        content: { 'application/json': { schema: z.union([TokenResponse, ServiceTokenResponse, TokenExchangeResponse, PatExchangeResponse]) } },
      },
      400: { description: 'invalid_request, invalid_grant (wrong password too), unauthorized_client, unsupported_grant_type, invalid_scope, invalid_target; for the device code grant authorization_pending, slow_down, access_denied, expired_token (RFC 8628 §3.5).', headers: { 'Cache-Control': tokenHeaders['Cache-Control'] }, ...json(OAuthError) },
      401: { description: 'invalid_client, with `WWW-Authenticate: Basic realm="cathouse"`.', headers: { 'WWW-Authenticate': { description: 'Basic realm="cathouse", charset="UTF-8", error="invalid_client"', schema: { type: 'string' as const } } }, ...json(OAuthError) },
      403: { description: 'csrf_failed (cookie mode, user grants only).', ...json(OAuthError) },
      413: { description: 'invalid_request: body too large.', ...json(OAuthError) },
      415: { description: 'invalid_request: neither JSON nor form-encoded.', ...json(OAuthError) },
      429: { description: 'rate_limited, with Retry-After: failed logins or wrong client secrets.', ...json(OAuthError) },
      503: { description: 'temporarily_unavailable, with Retry-After.', ...json(OAuthError) },
    },
  });
  registry.registerPath({
    method: 'post',
    path: p('/logout'),
    summary: 'End this session, every session, or every other session',
    description: 'Identify the session by its access token (Authorization: Bearer) or its refresh token (body, or the cookie in cookie mode). `{"scope":"global"}` ends every session of the user, `{"scope":"others"}` every one but this (both need a live session: a valid access token, or the current refresh token). Ending an ended session is not an error.',
    security: [{}, ...authenticated],
    request: { body: { required: false, ...json(LogoutRequest) } },
    responses: { 204: { description: 'Logged out.' }, ...problems(...BODY_ERRORS, 'invalid_token', 'invalid_grant', 'csrf_failed') },
  });
  registry.registerPath({
    method: 'get',
    path: p('/me'),
    summary: 'The current user',
    security: authenticated,
    responses: { 200: { description: 'The user of the access token.', ...json(User) }, ...problems('invalid_token') },
  });
  registry.registerPath({
    method: 'patch',
    path: p('/users/{id}'),
    summary: "Change a user's role or deactivate them (admin only)",
    description:
      'Deactivating (`is_active: false`) ends all of the user\'s sessions and mail links at once. Making a user a player blocks the developer role for them until an admin lifts it (`developer_blocked: false`) or makes them a developer. The last active admin cannot be demoted or deactivated (`last_admin`).',
    security: authenticated,
    request: { params: UserIdParams, body: { required: true, ...json(UpdateUserRequest) } },
    responses: {
      200: { description: 'The updated user.', ...json(User) },
      ...problems(...BODY_ERRORS, 'invalid_token', 'forbidden', 'not_found', 'last_admin'),
    },
  });
  registerSessionAndAdminPaths(registry, { path: p, authenticated, problems, json });
  registry.registerPath({
    method: 'get',
    path: jwksPath,
    summary: 'Public keys that verify access tokens (JWKS)',
    responses: { 200: { description: 'The current key and previous keys still trusted.', ...json(Jwks) } },
  });
  registry.registerPath({
    method: 'get',
    path: p('/health'),
    summary: 'Liveness',
    responses: { 200: { description: 'The process answers.', ...json(z.object({ status: z.literal('ok') })) } },
  });
  registry.registerPath({
    method: 'get',
    path: p('/ready'),
    summary: 'Readiness: database reachable and schema at the expected head',
    responses: {
      200: { description: 'Ready.', ...json(z.object({ status: z.literal('ready'), checks: z.record(z.string(), z.unknown()) })) },
      ...problems('not_ready'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: p('/openapi.json'),
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1.', ...json(z.record(z.string(), z.unknown())) } },
  });

  registerAccountPaths(registry, p, authenticated);
  // The OpenID provider's JSON endpoints (issue 27).
  registerOidcPaths(registry, { path: p, authenticated, problems, json });
  // Sign-in with Apple/Google, identities and guests (issue 25).
  registerFederationPaths(registry, { path: p, authenticated, problems, json });
  registerFederationRedirectPaths(registry, { path: p, authenticated, problems, json });
  // Developer credentials (issue 28).
  registerDeveloperCredentialsPaths(registry, { path: p, authenticated, problems, json });
  // Webhooks and the Shared Signals transmitter (issue 29).
  registerEventPaths(registry, { path: p, authenticated, problems, json });
  registerFactorPaths(registry, { path: p, authenticated, problems, json });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Cat House auth API',
      version: '1.0.0',
      description: 'Accounts, sessions and tokens for the Cat House apps and services. Errors are RFC 9457 problem details whose `error` field is a stable code.',
    },
    servers: [{ url: '/' }],
  });
}
