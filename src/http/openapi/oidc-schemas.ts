import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

/** Schemas of the OpenID provider's JSON endpoints under /api/v1/auth (issue 27): connected apps and clients. */
extendZodWithOpenApi(z);

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'expected a uuid' }).openapi({ format: 'uuid' });
const uri = z.string().max(2048).url({ message: 'expected an absolute URI' });

export const ConnectedAppIdParams = z.strictObject({ id: uuid });
export const UserConnectedAppParams = z.strictObject({ id: uuid, appId: uuid });
export const ClientIdParams = z.strictObject({ clientId: z.string().min(1).max(255) });
export const ClientsQuery = z.strictObject({ cat_id: uuid.optional() });

export const ConnectedApp = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    client_id: z.string(),
    client_name: z.string().nullable(),
    cat: z.object({ id: z.string().openapi({ format: 'uuid' }), name: z.string() }),
    installation: z.object({ id: z.string().openapi({ format: 'uuid' }), instance_name: z.string(), status: z.string() }),
    scopes: z.array(z.string()).openapi({ description: 'Every scope the player granted.' }),
    permissions: z.array(z.string()).openapi({ description: 'What a token carries now: granted permissions the installation still grants (empty while it is paused).' }),
    granted_at: z.string().openapi({ format: 'date-time' }),
    last_used_at: z.string().nullable().openapi({ format: 'date-time', description: 'Last code or refresh token exchange.' }),
  })
  .openapi('ConnectedApp');

export const ConnectedApps = z.object({ connected_apps: z.array(ConnectedApp) }).openapi('ConnectedApps');

export const ClientRequest = z
  .strictObject({
    cat_id: uuid,
    client_name: z.string().min(1).max(100),
    redirect_uris: z.array(uri).min(1).max(10).openapi({ description: 'Matched exactly (RFC 9700 §4.1.3); no fragments.' }),
    post_logout_redirect_uris: z.array(uri).max(10).optional(),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'none']).optional().openapi({ description: '`none` for a public client (PKCE only; refresh tokens rotate on every use). Default client_secret_basic.' }),
    application_type: z.enum(['web', 'native']).optional(),
  })
  .openapi('OidcClientRequest');

export const Client = z
  .object({
    client_id: z.string(),
    client_name: z.string().nullable(),
    cat_id: z.string().nullable().openapi({ format: 'uuid', description: 'Null for a Cat House resource server.' }),
    redirect_uris: z.array(z.string()),
    token_endpoint_auth_method: z.string(),
    created_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('OidcClient');

export const RegisteredClient = Client.extend({
  client_secret: z.string().optional().openapi({ description: 'Confidential clients only, shown once.' }),
}).openapi('OidcRegisteredClient');

export const Clients = z.object({ clients: z.array(Client) }).openapi('OidcClients');

export const InitialAccessTokenRequest = z
  .strictObject({
    cat_id: uuid,
    expires_in: z.number().int().min(60).max(2_592_000).optional().openapi({ description: 'Seconds, default 86400.' }),
  })
  .openapi('InitialAccessTokenRequest');

export const InitialAccessToken = z
  .object({
    initial_access_token: z.string(),
    expires_in: z.number().int(),
    registration_endpoint: z.string().openapi({ format: 'uri' }),
  })
  .openapi('InitialAccessToken');
