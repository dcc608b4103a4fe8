import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { OAuthError } from './schemas';
import type { PathHelpers } from './account-paths';
import {
  CreatedPat,
  CreatePatRequest,
  DeviceAuthorizationRequest,
  DeviceAuthorizationResponse,
  PatIdParams,
  PatList,
  PatRevokeAll,
} from './developer-credentials-schemas';

/**
 * Developer credentials (issue 28): the device authorization endpoint of the CLI's login (RFC 8628;
 * its token requests are grants of /token) and the caller's personal access tokens. The /device
 * verification page is HTML for people, not part of this API (docs/developer-credentials.md).
 */
export function registerDeveloperCredentialsPaths(registry: OpenAPIRegistry, { path: p, authenticated, problems, json }: PathHelpers): void {
  registry.registerPath({
    method: 'post',
    path: p('/device_authorization'),
    summary: 'Start a device login (RFC 8628 device authorization endpoint)',
    description:
      'A public client named in DEVICE_CLIENT_IDS (the CLI: `cathouse-cli`) asks for a device code and a user code; the person opens `verification_uri`, types the code, signs in and allows or denies; the client polls /token with `grant_type=urn:ietf:params:oauth:grant-type:device_code`. Throttled per address (DEVICE_AUTHORIZATIONS_MAX_PER_IP). Errors are RFC 6749 §5.2 JSON.',
    request: {
      body: {
        required: true,
        content: { 'application/x-www-form-urlencoded': { schema: DeviceAuthorizationRequest }, 'application/json': { schema: DeviceAuthorizationRequest } },
      },
    },
    responses: {
      200: { description: 'The codes.', ...json(DeviceAuthorizationResponse) },
      400: { description: 'invalid_request.', ...json(OAuthError) },
      401: { description: 'invalid_client: not a device client of this service.', ...json(OAuthError) },
      429: { description: 'rate_limited, with Retry-After.', ...json(OAuthError) },
    },
  });
  registry.registerPath({
    method: 'get',
    path: p('/me/tokens'),
    summary: 'My personal access tokens',
    description: 'Newest first, live ones and the expired or revoked ones not yet pruned (PAT_RETENTION_DAYS), with the last exchange\'s time and address; never the token itself.',
    security: authenticated,
    responses: { 200: { description: 'The tokens.', ...json(PatList) }, ...problems('invalid_token') },
  });
  registry.registerPath({
    method: 'post',
    path: p('/me/tokens'),
    summary: 'Create a personal access token (shown once)',
    description:
      'Needs a session whose sign-in is at most PAT_CREATE_MAX_AUTH_AGE_SECONDS old (else 403 `reauthentication_required`: sign in again). Scopes must be ones your role holds (`invalid_scope`); `expires_at` is required and at most PAT_MAX_TTL_DAYS ahead; at most PAT_MAX_PER_USER live tokens (`forbidden`). The answer holds the token once; exchange it at /token with `subject_token_type=urn:cathouse:params:oauth:token-type:personal_access_token`. A token made from a PAT cannot call this.',
    security: authenticated,
    request: { body: { required: true, ...json(CreatePatRequest) } },
    responses: {
      201: { description: 'The token, once.', ...json(CreatedPat) },
      ...problems('invalid_request', 'invalid_json', 'unsupported_media_type', 'invalid_token', 'invalid_scope', 'reauthentication_required', 'forbidden'),
    },
  });
  registry.registerPath({
    method: 'delete',
    path: p('/me/tokens'),
    summary: 'Revoke all my personal access tokens',
    description: 'Effective at the next exchange; tokens already exchanged live out their PAT_ACCESS_TOKEN_TTL_SECONDS.',
    security: authenticated,
    responses: { 200: { description: 'How many were revoked.', ...json(PatRevokeAll) }, ...problems('invalid_token') },
  });
  registry.registerPath({
    method: 'delete',
    path: p('/me/tokens/{id}'),
    summary: 'Revoke one personal access token',
    description: 'Effective at the next exchange. Revoking a revoked token is not an error; another user\'s is `not_found`.',
    security: authenticated,
    request: { params: PatIdParams },
    responses: { 204: { description: 'Revoked.' }, ...problems('invalid_token', 'invalid_request', 'not_found') },
  });
}
