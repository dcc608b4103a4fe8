import { createHash, timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { sql } from '../sql';
import type { Oidc } from './library';

/**
 * OpenID clients' secrets are kept as their SHA-256, like service clients' (src/auth/tokens/
 * service-clients.ts) and as Ory Hydra keeps its clients': a copy of auth.oidc_clients (a backup, a
 * replica, a leaked dump) then signs no cat in. A fast hash is enough: the secrets are 256 random
 * bits, not passwords. It works because nothing in our provider needs the secret itself: the
 * symmetric uses of it (client_secret_jwt, HS* signed ID tokens, request objects, JWT userinfo or
 * introspection, encryption) are all off in provider.ts and features.ts; turning one on needs the
 * secret in clear again.
 *
 * Clients registered before secrets were hashed still hold theirs in clear: they keep working
 * (compared in constant time too) until `npm run admin -- oidc clients hash-secrets` hashes them.
 * That is a separate step after the rollout rather than a migration because the release before
 * this one compares clear secrets only: hashing during the rollout would lock every cat out of the
 * instances not yet replaced (docs/migrations.md, "Expand and contract").
 */
const PREFIX = 'sha256$';

const digest = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

/** The stored form of a secret; a value already stored that way is kept as it is. */
export function sealClientSecret(secret: string): string {
  return secret.startsWith(PREFIX) ? secret : `${PREFIX}${digest(secret).toString('base64url')}`;
}

/** Client metadata as it is written to auth.oidc_clients: the secret hashed, everything else unchanged. */
export function withSealedSecret<T extends Record<string, unknown>>(metadata: T): T {
  const secret = metadata.client_secret;
  return typeof secret === 'string' ? { ...metadata, client_secret: sealClientSecret(secret) } : metadata;
}

/** Whether `presented` is the secret whose stored form is `stored` (hashed, or a clear one from before), in constant time. */
export function matchesClientSecret(stored: string, presented: string): boolean {
  const expected = stored.startsWith(PREFIX) ? Buffer.from(stored.slice(PREFIX.length), 'base64url') : digest(stored);
  const given = digest(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Hashes the secrets still stored in clear (clients registered before hashing); returns how many. Safe to run again. */
export async function hashStoredClientSecrets(dataSource: DataSource): Promise<number> {
  const { rows } = await sql<{ client_id: string; secret: string }>(
    dataSource,
    `SELECT client_id, metadata->>'client_secret' AS secret FROM auth.oidc_clients
      WHERE metadata ? 'client_secret' AND left(metadata->>'client_secret', ${PREFIX.length}) <> '${PREFIX}'`,
  );
  let hashed = 0;
  for (const row of rows) {
    // Only if unchanged since the read: a client deleted or re-registered meanwhile is left as it is.
    const { count } = await sql(
      dataSource,
      `UPDATE auth.oidc_clients SET metadata = jsonb_set(metadata, '{client_secret}', to_jsonb($2::text)), updated_at = now()
        WHERE client_id = $1 AND metadata->>'client_secret' = $3`,
      [row.client_id, sealClientSecret(row.secret), row.secret],
    );
    hashed += count;
  }
  return hashed;
}

/**
 * Makes the provider compare a presented client_secret with the stored hash. The library keeps
 * client metadata as it was registered and compares secrets in `Client#compareClientSecret`
 * (oidc-provider lib/models/client.js), the one place client_secret_basic and _post are checked;
 * it has no configuration hook for this, so the method is replaced on this provider's Client class.
 */
export function compareHashedClientSecrets(provider: Oidc.Provider): void {
  const prototype = provider.Client.prototype as unknown as { compareClientSecret(actual: string): boolean; clientSecret?: string };
  prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string): boolean {
    return typeof this.clientSecret === 'string' && typeof actual === 'string' && matchesClientSecret(this.clientSecret, actual);
  };
}
