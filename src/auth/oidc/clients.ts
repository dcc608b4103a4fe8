import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { UserRole } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import { isUuid } from '../ids';
import { sql } from '../sql';
import { CAT_ID_METADATA } from './adapter';
import type { Oidc } from './library';
import { CAT_POLICY_PREFIX } from './registration-policy';
import { withSealedSecret } from './client-secrets';

/**
 * Registering OpenID clients: a cat's developer (API) or an admin (CLI) registers a client for a
 * cat; an admin registers a resource server (a client of no cat, which may introspect cats'
 * tokens); a developer hands a cat's backend an initial access token for RFC 7591 registration.
 * The metadata is validated by the library's own client schema (Client.validate), the same rules
 * as dynamic registration: redirect URIs are absolute, without fragments, and matched exactly.
 */

/** Who registers: a developer or admin (API), or the operator (CLI: no user, admin rights). */
export interface Actor {
  userId: string | null;
  role: UserRole;
}

export interface ClientInput {
  cat_id: string;
  client_name: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[] | undefined;
  /** `none` for a public client (a browser or mobile app, PKCE only); the default is a confidential client. */
  token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post' | 'none' | undefined;
  application_type?: 'web' | 'native' | undefined;
}

export interface ClientView {
  client_id: string;
  client_name: string | null;
  cat_id: string | null;
  redirect_uris: string[];
  token_endpoint_auth_method: string;
  created_at: string;
}

/** The client's metadata as registered, and its secret (shown once) for a confidential client. */
export type RegisteredClient = ClientView & { client_secret?: string };

/** Throws forbidden unless the actor is an admin or the developer of the cat; not_found for no such cat. */
async function assertMayManageCat(dataSource: DataSource, actor: Actor, catId: string): Promise<void> {
  if (!isUuid(catId)) throw new AppError('invalid_request', 'cat_id is not a UUID.', { fields: { invalid_params: [{ name: 'cat_id', reason: 'must be a UUID' }] } });
  const { rows } = await sql<{ developer_id: string }>(dataSource, `SELECT developer_id FROM catalog.cats WHERE id = $1`, [catId]);
  const cat = rows[0];
  if (!cat) throw new AppError('not_found', 'No such cat.');
  if (actor.role !== 'admin' && cat.developer_id !== actor.userId) throw new AppError('forbidden', 'Only the developer of this cat (or an admin) may manage its clients.');
}

/** The library's verdict on metadata, as our error channel (RFC 7591 codes). */
async function validate(provider: Oidc.Provider, metadata: Record<string, unknown>): Promise<void> {
  try {
    await provider.Client.validate(metadata as Oidc.ClientMetadata);
  } catch (err) {
    const e = err as { error?: string; error_description?: string; message?: string };
    const code = e.error === 'invalid_redirect_uri' ? 'invalid_redirect_uri' : 'invalid_client_metadata';
    throw new AppError(code, e.error_description ?? e.message ?? 'The client metadata is not valid.');
  }
}

function view(clientId: string, catId: string | null, metadata: Record<string, unknown>, createdAt: Date): ClientView {
  return {
    client_id: clientId,
    client_name: (metadata.client_name as string | undefined) ?? null,
    cat_id: catId,
    redirect_uris: (metadata.redirect_uris as string[] | undefined) ?? [],
    token_endpoint_auth_method: (metadata.token_endpoint_auth_method as string | undefined) ?? 'client_secret_basic',
    created_at: createdAt.toISOString(),
  };
}

async function store(
  dataSource: DataSource,
  metadata: Record<string, unknown>,
  { catId, actor, client }: { catId: string | null; actor: Actor | null; client?: AuditClient },
): Promise<RegisteredClient> {
  const clientId = metadata.client_id as string;
  const stored = { ...metadata };
  delete stored[CAT_ID_METADATA];
  const created = await dataSource.transaction(async (manager) => {
    const { rows } = await sql<{ created_at: Date }>(
      manager,
      `INSERT INTO auth.oidc_clients (client_id, cat_id, created_by, metadata) VALUES ($1, $2, $3, $4) RETURNING created_at`,
      [clientId, catId, actor?.userId ?? null, JSON.stringify(withSealedSecret(stored))],
    );
    await recordEvent(manager, {
      type: 'oidc_client_registered',
      userId: actor?.userId ?? null,
      client,
      detail: { client_id: clientId, cat_id: catId, client_name: (metadata.client_name as string | undefined) ?? null },
    });
    return rows[0]!.created_at;
  });
  const secret = metadata.client_secret as string | undefined;
  return { ...view(clientId, catId, stored, created), ...(secret ? { client_secret: secret } : {}) };
}

/** Registers a client for a cat; a confidential client's secret is in the answer, once. */
export async function registerCatClient(
  deps: { dataSource: DataSource; provider: Oidc.Provider },
  actor: Actor,
  input: ClientInput,
  client?: AuditClient,
): Promise<RegisteredClient> {
  await assertMayManageCat(deps.dataSource, actor, input.cat_id);
  const method = input.token_endpoint_auth_method ?? 'client_secret_basic';
  const metadata: Record<string, unknown> = {
    client_id: `cat_${randomBytes(12).toString('base64url')}`,
    client_name: input.client_name,
    redirect_uris: input.redirect_uris,
    ...(input.post_logout_redirect_uris ? { post_logout_redirect_uris: input.post_logout_redirect_uris } : {}),
    token_endpoint_auth_method: method,
    application_type: input.application_type ?? 'web',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
    [CAT_ID_METADATA]: input.cat_id.toLowerCase(),
  };
  if (method !== 'none') metadata.client_secret = randomBytes(32).toString('base64url');
  await validate(deps.provider, metadata);
  return store(deps.dataSource, metadata, { catId: input.cat_id.toLowerCase(), actor, client });
}

/** An admin registers a Cat House resource server: no redirect, no grant, only introspection (and revocation). */
export async function registerResourceServer(deps: { dataSource: DataSource; provider: Oidc.Provider }, name: string): Promise<RegisteredClient> {
  const metadata: Record<string, unknown> = {
    client_id: `rs_${randomBytes(12).toString('base64url')}`,
    client_name: name,
    client_secret: randomBytes(32).toString('base64url'),
    redirect_uris: [],
    grant_types: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
  };
  await validate(deps.provider, metadata);
  return store(deps.dataSource, metadata, { catId: null, actor: null });
}

/** Clients of the cats a developer develops (an admin: every client, or those of one cat). */
export async function listClients(dataSource: DataSource, actor: Actor, catId?: string): Promise<ClientView[]> {
  if (catId !== undefined) await assertMayManageCat(dataSource, actor, catId);
  const { rows } = await sql<{ client_id: string; cat_id: string | null; metadata: Record<string, unknown>; created_at: Date }>(
    dataSource,
    `SELECT oc.client_id, oc.cat_id, oc.metadata, oc.created_at
       FROM auth.oidc_clients oc LEFT JOIN catalog.cats c ON c.id = oc.cat_id
      WHERE ($1::uuid IS NULL OR oc.cat_id = $1) AND ($2 OR c.developer_id = $3)
      ORDER BY oc.created_at, oc.client_id`,
    [catId ?? null, actor.role === 'admin', actor.userId],
  );
  return rows.map((r) => view(r.client_id, r.cat_id, r.metadata, r.created_at));
}

/**
 * Deletes a client: its players' consents go with it (ON DELETE CASCADE) and every code, token and
 * grant it holds is deleted in the same transaction, so nothing it was issued works afterwards.
 */
export async function deleteClient(dataSource: DataSource, actor: Actor, clientId: string, client?: AuditClient): Promise<void> {
  const { rows } = await sql<{ cat_id: string | null }>(dataSource, `SELECT cat_id FROM auth.oidc_clients WHERE client_id = $1`, [clientId]);
  const found = rows[0];
  if (!found) throw new AppError('not_found', 'No such client.');
  if (found.cat_id) await assertMayManageCat(dataSource, actor, found.cat_id);
  else if (actor.role !== 'admin') throw new AppError('forbidden', 'Only an admin may delete a resource server.');
  await dataSource.transaction(async (manager) => {
    await sql(manager, `DELETE FROM auth.oidc_models WHERE payload->>'clientId' = $1`, [clientId]);
    await sql(manager, `DELETE FROM auth.oidc_clients WHERE client_id = $1`, [clientId]);
    await recordEvent(manager, { type: 'oidc_client_deleted', userId: actor.userId, client, detail: { client_id: clientId, cat_id: found.cat_id } });
  });
}

/**
 * An initial access token for RFC 7591 registration of a client of `catId` (POST {issuer}/reg with
 * `Authorization: Bearer <token>`); it may register clients until it expires.
 */
export async function issueInitialAccessToken(
  deps: { dataSource: DataSource; provider: Oidc.Provider },
  actor: Actor,
  catId: string,
  ttlSeconds: number,
): Promise<{ initial_access_token: string; expires_in: number; registration_endpoint: string }> {
  await assertMayManageCat(deps.dataSource, actor, catId);
  const token = new deps.provider.InitialAccessToken({ expiresIn: ttlSeconds, policies: [`${CAT_POLICY_PREFIX}${catId.toLowerCase()}`] });
  const value = await token.save();
  return { initial_access_token: value, expires_in: ttlSeconds, registration_endpoint: `${deps.provider.issuer}/reg` };
}
