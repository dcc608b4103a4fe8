import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AppError } from '../../errors/app-error';
import { recordSecurityEvent } from '../events/record';
import { sql } from '../sql';

/**
 * Service clients of the client credentials grant (RFC 6749 §4.4) and their secrets.
 *
 * A secret is 256 random bits, shown once; only its SHA-256 is stored. A slow hash would buy
 * nothing: there is no dictionary to try against 256 random bits, and a fast hash keeps client
 * authentication cheap on every token request. Rotation keeps the previous secret valid for a
 * grace period so that a service can be redeployed with the new one without downtime.
 */

/** `chs_` makes a leaked secret recognisable by secret scanners; 32 bytes base64url follow. */
const SECRET_PREFIX = 'chs_';
/** A client id: a service's name, lower-case (it appears in tokens as `sub`, `client_id` and `act.sub`). */
export const CLIENT_ID_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/;
/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
export const SCOPE_TOKEN_PATTERN = /^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/;
/** The scope that lets a client (the proxy) exchange a user's token for an installation token. */
export const TOKEN_EXCHANGE_SCOPE = 'installations:exchange';

export interface ServiceClientInfo {
  clientId: string;
  scopes: string[];
  isActive: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Set while a rotated-out secret is still accepted. */
  previousSecretExpiresAt: Date | null;
}

export interface IssuedSecret {
  clientId: string;
  /** The plain secret: shown once, never stored. */
  clientSecret: string;
  scopes: string[];
  /** When rotating: until when the previous secret is still accepted (null when it no longer is). */
  previousSecretValidUntil?: Date | null;
}

function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Splits and checks a space-separated scope list (RFC 6749 §3.3); duplicates are dropped. */
export function parseScopes(value: string): string[] {
  const scopes = [...new Set(value.split(' ').filter((s) => s !== ''))];
  const bad = scopes.find((s) => !SCOPE_TOKEN_PATTERN.test(s));
  if (bad !== undefined) throw new AppError('invalid_scope', `"${bad}" is not a valid scope (RFC 6749 §3.3: printable ASCII without space, quote or backslash).`);
  return scopes;
}

function assertClientId(clientId: string): void {
  if (!CLIENT_ID_PATTERN.test(clientId)) {
    throw new AppError('invalid_request', `"${clientId}" is not a valid client id: lower-case letters, digits, ".", "_" and "-", starting with a letter, at most 64.`);
  }
}

interface ClientRow {
  client_id: string;
  scopes: string[];
  is_active: boolean;
  created_at: Date;
  last_used_at: Date | null;
  previous_secret_expires_at: Date | null;
}

const toInfo = (r: ClientRow): ServiceClientInfo => ({
  clientId: r.client_id,
  scopes: r.scopes,
  isActive: r.is_active,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  previousSecretExpiresAt: r.previous_secret_expires_at,
});

/** Creates a client with its first secret. Throws invalid_request if the id is taken or malformed. */
export async function createServiceClient(db: DataSource, clientId: string, scopes: string[]): Promise<IssuedSecret> {
  assertClientId(clientId);
  const secret = newSecret();
  const { count } = await sql(
    db,
    `INSERT INTO auth.service_clients (client_id, secret_hash, scopes) VALUES ($1, $2, $3) ON CONFLICT (client_id) DO NOTHING`,
    [clientId, hashSecret(secret), scopes],
  );
  if (count === 0) throw new AppError('invalid_request', `A client named "${clientId}" already exists; rotate its secret or choose another name.`);
  return { clientId, clientSecret: secret, scopes };
}

/**
 * Gives a client a new secret; the current one stays valid for `graceSeconds` (0: at once
 * invalid). A secret in its grace period is replaced, so at most two are ever valid. Reactivates
 * nothing: a revoked client stays revoked. Throws not_found for an unknown client.
 */
export async function rotateServiceClientSecret(db: DataSource, clientId: string, graceSeconds: number): Promise<IssuedSecret> {
  const secret = newSecret();
  const { rows } = await sql<{ scopes: string[]; previous_secret_expires_at: Date | null }>(
    db,
    `UPDATE auth.service_clients
        SET previous_secret_hash = CASE WHEN $3::int > 0 THEN secret_hash END,
            previous_secret_expires_at = CASE WHEN $3::int > 0 THEN statement_timestamp() + make_interval(secs => $3::int) END,
            secret_hash = $2
      WHERE client_id = $1
      RETURNING scopes, previous_secret_expires_at`,
    [clientId, hashSecret(secret), graceSeconds],
  );
  if (!rows[0]) throw new AppError('not_found', `No client named "${clientId}" (npm run admin -- clients list).`);
  return { clientId, clientSecret: secret, scopes: rows[0].scopes, previousSecretValidUntil: rows[0].previous_secret_expires_at };
}

/**
 * Deactivates a client: its secrets stop working at once, and a service_client.revoked event tells
 * the other services in the same transaction (issue 29), so receivers can refuse the tokens it
 * still holds instead of waiting SERVICE_TOKEN_TTL_SECONDS. Revoking a revoked client records nothing.
 */
export async function revokeServiceClient(db: DataSource, clientId: string): Promise<ServiceClientInfo> {
  return db.transaction(async (manager) => {
    const { rows } = await sql<ClientRow & { was_active: boolean }>(
      manager,
      `UPDATE auth.service_clients c SET is_active = false, previous_secret_hash = NULL, previous_secret_expires_at = NULL
         FROM (SELECT client_id, is_active FROM auth.service_clients WHERE client_id = $1 FOR UPDATE) before
        WHERE c.client_id = before.client_id
        RETURNING c.client_id, c.scopes, c.is_active, c.created_at, c.last_used_at, c.previous_secret_expires_at, before.is_active AS was_active`,
      [clientId],
    );
    if (!rows[0]) throw new AppError('not_found', `No client named "${clientId}" (npm run admin -- clients list).`);
    if (rows[0].was_active) await recordSecurityEvent(manager, { type: 'service_client.revoked', subject: { client: clientId }, initiatedBy: 'admin' });
    return toInfo(rows[0]);
  });
}

/** Every client, by id; never a secret or a hash. */
export async function listServiceClients(db: DataSource): Promise<ServiceClientInfo[]> {
  const { rows } = await sql<ClientRow>(
    db,
    `SELECT client_id, scopes, is_active, created_at, last_used_at,
            CASE WHEN previous_secret_expires_at > statement_timestamp() THEN previous_secret_expires_at END AS previous_secret_expires_at
       FROM auth.service_clients ORDER BY client_id`,
  );
  return rows.map(toInfo);
}

/**
 * The active client whose current secret, or previous secret within its grace period, is
 * `secret`; null otherwise (unknown client, wrong secret, revoked). Records the use.
 * The comparison is constant-time over the hashes.
 */
export async function authenticateServiceClient(db: DataSource, clientId: string, secret: string): Promise<ServiceClientInfo | null> {
  if (!CLIENT_ID_PATTERN.test(clientId)) return null;
  const presented = hashSecret(secret);
  const { rows } = await sql<ClientRow & { secret_hash: Buffer; previous_secret_hash: Buffer | null }>(
    db,
    `SELECT client_id, scopes, is_active, created_at, last_used_at, secret_hash,
            CASE WHEN previous_secret_expires_at > statement_timestamp() THEN previous_secret_hash END AS previous_secret_hash,
            previous_secret_expires_at
       FROM auth.service_clients WHERE client_id = $1`,
    [clientId],
  );
  const row = rows[0];
  if (!row || !row.is_active) return null;
  const matches = (hash: Buffer | null) => hash !== null && hash.length === presented.length && timingSafeEqual(hash, presented);
  // Both are compared, so the time taken does not tell which secret matched.
  const current = matches(row.secret_hash);
  const previous = matches(row.previous_secret_hash);
  if (!current && !previous) return null;
  // Recorded at most once a minute: a busy client must not turn every token request into a write.
  await sql(
    db,
    `UPDATE auth.service_clients SET last_used_at = statement_timestamp()
      WHERE client_id = $1 AND (last_used_at IS NULL OR last_used_at < statement_timestamp() - interval '1 minute')`,
    [clientId],
  );
  return toInfo(row);
}
