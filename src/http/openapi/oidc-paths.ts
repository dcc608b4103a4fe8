import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { PathHelpers } from './account-paths';
import {
  ClientIdParams,
  ClientRequest,
  Clients,
  ClientsQuery,
  ConnectedAppIdParams,
  ConnectedApps,
  InitialAccessToken,
  InitialAccessTokenRequest,
  RegisteredClient,
  UserConnectedAppParams,
} from './oidc-schemas';
import { UserIdParams } from './schemas';

/**
 * The OpenID provider's JSON endpoints under /api/v1/auth (issue 27). The protocol endpoints
 * themselves (discovery, authorize, token, userinfo, introspection, revocation, registration,
 * end_session) are oidc-provider's, described by its discovery document at
 * {OIDC_ISSUER}/.well-known/openid-configuration, and listed in docs/oidc.md.
 */
export function registerOidcPaths(registry: OpenAPIRegistry, { path: p, authenticated, problems, json }: PathHelpers): void {
  registry.registerPath({
    method: 'get',
    path: p('/me/connected-apps'),
    summary: 'My connected apps (OpenID clients of cats I signed in to)',
    description: 'Each consent: the app, its cat, the installation it is bound to, the scopes granted, and the permissions its tokens carry now (granted AND still granted by the installation; none while it is paused).',
    security: authenticated,
    responses: { 200: { description: 'Connected apps.', ...json(ConnectedApps) }, ...problems('invalid_token') },
  });
  registry.registerPath({
    method: 'delete',
    path: p('/me/connected-apps/{id}'),
    summary: 'Disconnect an app',
    description: "Its refresh and access tokens stop at once: refresh answers `invalid_grant`, introspection `active: false`. Another player's app is `not_found`.",
    security: authenticated,
    request: { params: ConnectedAppIdParams },
    responses: { 204: { description: 'Disconnected.' }, ...problems('invalid_token', 'invalid_request', 'not_found') },
  });
  registry.registerPath({
    method: 'get',
    path: p('/users/{id}/connected-apps'),
    summary: "A user's connected apps (admin only)",
    security: authenticated,
    request: { params: UserIdParams },
    responses: { 200: { description: 'Connected apps.', ...json(ConnectedApps) }, ...problems('invalid_token', 'invalid_request', 'forbidden') },
  });
  registry.registerPath({
    method: 'delete',
    path: p('/users/{id}/connected-apps/{appId}'),
    summary: "Disconnect a user's app (admin only)",
    security: authenticated,
    request: { params: UserConnectedAppParams },
    responses: { 204: { description: 'Disconnected.' }, ...problems('invalid_token', 'invalid_request', 'forbidden', 'not_found') },
  });
  registry.registerPath({
    method: 'post',
    path: p('/oidc/clients'),
    summary: 'Register an OpenID client for one of my cats (developers)',
    description: 'Validated by the provider\'s own client schema (the rules of RFC 7591 registration): redirect URIs absolute, no fragment, matched exactly at authorization. A confidential client\'s `client_secret` is in this answer only.',
    security: authenticated,
    request: { body: { required: true, ...json(ClientRequest) } },
    responses: {
      201: { description: 'Registered.', ...json(RegisteredClient) },
      ...problems('invalid_token', 'invalid_request', 'invalid_json', 'forbidden', 'not_found', 'invalid_client_metadata', 'invalid_redirect_uri'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: p('/oidc/clients'),
    summary: 'The OpenID clients of my cats (an admin: all)',
    security: authenticated,
    request: { query: ClientsQuery },
    responses: { 200: { description: 'Clients.', ...json(Clients) }, ...problems('invalid_token', 'invalid_request', 'forbidden', 'not_found') },
  });
  registry.registerPath({
    method: 'delete',
    path: p('/oidc/clients/{clientId}'),
    summary: 'Delete an OpenID client of my cat',
    description: 'Players\' consents to it and every code and token it holds are deleted with it.',
    security: authenticated,
    request: { params: ClientIdParams },
    responses: { 204: { description: 'Deleted.' }, ...problems('invalid_token', 'forbidden', 'not_found') },
  });
  registry.registerPath({
    method: 'post',
    path: p('/oidc/initial-access-tokens'),
    summary: 'An initial access token for RFC 7591 dynamic registration of a client of my cat',
    description: 'POST the client metadata to `registration_endpoint` with `Authorization: Bearer <initial_access_token>`; the client is bound to this cat whatever the metadata says.',
    security: authenticated,
    request: { body: { required: true, ...json(InitialAccessTokenRequest) } },
    responses: { 201: { description: 'Issued.', ...json(InitialAccessToken) }, ...problems('invalid_token', 'invalid_request', 'invalid_json', 'forbidden', 'not_found') },
  });
}
