// Over 250 lines on purpose: oidc-provider's one adapter interface over one table, each model's rules (sign-out
// marks, single consumption, sealed client secrets) beside the statements that apply them.
import type { DataSource } from 'typeorm';
import { sql } from '../sql';
import { errors } from './library';
import { withSealedSecret } from './client-secrets';

/**
 * oidc-provider's storage adapter (its `Adapter` interface: upsert, find, findByUid,
 * findByUserCode, consume, destroy, revokeByGrantId) over PostgreSQL tables of the auth schema.
 * Every method is one parameterised statement on the pooled connection (unnamed prepared
 * statements, no session state), so it works unchanged through PgBouncer in transaction mode.
 *
 * Clients are kept in auth.oidc_clients (with the cat they belong to); every other model in
 * auth.oidc_models, keyed by (model, id), its payload as the library gave it. Expired rows read as
 * absent (the library also checks `exp` itself) and are deleted by pruneExpiredOidcState.
 */

/** What the library stores; see node-oidc-provider example/my_adapter.js for the fields. */
export type AdapterPayload = Record<string, unknown> & {
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: number;
};

/**
 * Not a library model: the row (id = user id, payload.at = epoch seconds) that says the user's
 * provider sessions were ended then (provider-sign-outs.ts). While it lasts, no row of a model in
 * SIGN_IN_TIME whose sign-in came before that second is read or written (a sign-in in the same
 * second counts as the player's own, signing in again). The library never asks for it; pruning
 * deletes it once expired.
 */
export const SIGN_OUT_MODEL = 'ProviderSignOut';

/**
 * The library's models that continue one browser sign-in, and the payload field holding its time
 * (epoch seconds; each also carries `accountId`): the Session itself, and the short-lived codes its
 * sign-in was turned into (lib/models: AuthorizationCode, DeviceCode and
 * BackchannelAuthenticationRequest carry `authTime`; the last two are off in features.ts, listed so
 * that switching them on cannot reopen the gap). A code issued by a request that was in flight when
 * the user's sessions ended (consent submitted just before, code saved just after) is the unfinished
 * end of the browser sign-in that was just ended: it must not become tokens.
 * RefreshToken carries `authTime` too and is left out on purpose: a cat's tokens are a connected
 * app's, and whether they end is ENDS_APP_TOKENS' decision in provider-sign-outs.ts (kept on a
 * password change or logout everywhere), not this mark's. AccessToken carries no sign-in time.
 */
const SIGN_IN_TIME: Readonly<Record<string, 'loginTs' | 'authTime'>> = {
  Session: 'loginTs',
  AuthorizationCode: 'authTime',
  DeviceCode: 'authTime',
  BackchannelAuthenticationRequest: 'authTime',
};

/** Client metadata keys that are ours, not RFC 7591's: kept in columns, never in the metadata. */
export const CAT_ID_METADATA = 'cathouse_cat_id';

export interface OidcAdapter {
  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<AdapterPayload | undefined>;
  findByUid(uid: string): Promise<AdapterPayload | undefined>;
  findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

interface ModelRow {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

const withConsumed = (row: ModelRow | undefined): AdapterPayload | undefined =>
  row ? (row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload) : undefined;

class ModelAdapter implements OidcAdapter {
  /** The payload field with the time of the sign-in this model continues, if it is one (SIGN_IN_TIME). */
  private readonly signInField: 'loginTs' | 'authTime' | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly model: string,
  ) {
    this.signInField = SIGN_IN_TIME[model];
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const signInTs = this.signInField ? payload[this.signInField] : undefined;
    const signedIn = typeof payload.accountId === 'string' && typeof signInTs === 'number';
    // A session (or code) signed in before the second of the user's last sign-out (provider-sign-outs.ts)
    // is never written again: a request that loaded the session before the sign-out deleted it saves it
    // when it ends, which would otherwise keep it for another OIDC_SESSION_TTL_SECONDS, and may save a
    // code of it on the way (findBy reads both as absent too, for a write that lands before the mark's commit).
    await sql(
      this.dataSource,
      `INSERT INTO auth.oidc_models (model, id, payload, grant_id, uid, user_code, expires_at)
       SELECT $1, $2, $3, $4, $5, $6, CASE WHEN $7::int IS NULL THEN NULL ELSE now() + make_interval(secs => $7::int) END
        WHERE $8::text IS NULL OR NOT EXISTS (
          SELECT 1 FROM auth.oidc_models m
           WHERE m.model = '${SIGN_OUT_MODEL}' AND m.id = $8::text AND m.expires_at > now() AND (m.payload->>'at')::bigint > $9::bigint)
       ON CONFLICT (model, id) DO UPDATE
         SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, uid = EXCLUDED.uid,
             user_code = EXCLUDED.user_code, expires_at = EXCLUDED.expires_at`,
      [
        this.model,
        id,
        JSON.stringify(payload),
        payload.grantId ?? null,
        payload.uid ?? null,
        payload.userCode ?? null,
        expiresIn ?? null,
        signedIn ? payload.accountId : null,
        signedIn ? signInTs : null,
      ],
    );
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.findBy('id', id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findBy('uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findBy('user_code', userCode);
  }

  /**
   * A live (unexpired) row of this model by one of its lookup columns (a fixed name, never input).
   * A Session or code signed in before the second of its user's last sign-out reads as absent, even
   * if a request in flight at the sign-out wrote it: for a session the library then starts an empty
   * one and the player signs in again (prompt=none: login_required); a code answers invalid_grant at
   * the token endpoint, as an unknown code does.
   */
  private async findBy(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    // A device code not yet approved has no accountId: the mark, keyed by user, cannot match it.
    const signedOut = this.signInField
      ? `AND NOT EXISTS (SELECT 1 FROM auth.oidc_models m
           WHERE m.model = '${SIGN_OUT_MODEL}' AND m.id = o.payload->>'accountId' AND m.expires_at > now()
             AND (m.payload->>'at')::bigint > (o.payload->>'${this.signInField}')::bigint)`
      : '';
    const { rows } = await sql<ModelRow>(
      this.dataSource,
      `SELECT payload, consumed_at FROM auth.oidc_models o
        WHERE model = $1 AND ${column} = $2 AND (expires_at IS NULL OR expires_at > now()) ${signedOut}`,
      [this.model, value],
    );
    return withConsumed(rows[0]);
  }

  /**
   * Marks a code or refresh token used, atomically. The library checks `consumed` and then calls
   * this, so two requests with one code (or one refresh token) at the same moment could both pass
   * the check: the conditional UPDATE lets exactly one win. The loser gets invalid_grant; for a code
   * the grant's tokens are revoked as well, as for any reuse of a code (RFC 6749 §4.1.2), while a
   * raced refresh token leaves the winner's new token working (two tabs refreshing at once).
   */
  async consume(id: string): Promise<void> {
    const { count } = await sql(
      this.dataSource,
      `UPDATE auth.oidc_models SET consumed_at = now() WHERE model = $1 AND id = $2 AND consumed_at IS NULL`,
      [this.model, id],
    );
    if (count === 1) return;
    const { rows } = await sql<{ grant_id: string | null }>(this.dataSource, `SELECT grant_id FROM auth.oidc_models WHERE model = $1 AND id = $2`, [this.model, id]);
    if (!rows[0]) return;
    if (this.model === 'AuthorizationCode' && rows[0].grant_id) await revokeGrantRows(this.dataSource, rows[0].grant_id);
    const err = new errors.InvalidGrant(`${this.model} already used by a concurrent request`);
    err.error_description = 'grant request is invalid (already used)';
    throw err;
  }

  async destroy(id: string): Promise<void> {
    await sql(this.dataSource, `DELETE FROM auth.oidc_models WHERE model = $1 AND id = $2`, [this.model, id]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await revokeGrantRows(this.dataSource, grantId);
  }
}

/**
 * Deletes every code and token of a grant, and the grant itself: all of them stop at once.
 * An Interaction names a grant too (the one the player already had when it began) and stays: a
 * consent given again in a signed-in browser (prompt=consent, new scopes, a paused installation
 * resumed) replaces that grant in the middle of its interaction (consent.ts), and deleting the
 * interaction there ended the player's consent with "interaction session not found".
 */
export async function revokeGrantRows(executor: Parameters<typeof sql>[0], grantId: string): Promise<number> {
  const { count } = await sql(
    executor,
    `DELETE FROM auth.oidc_models WHERE (grant_id = $1 AND model <> 'Interaction') OR (model = 'Grant' AND id = $1)`,
    [grantId],
  );
  return count;
}

/**
 * Clients registered through RFC 7591 dynamic registration (or updated through RFC 7592) come in
 * here; those made by developers and admins are inserted by clients.ts. The cat a client belongs
 * to travels in the metadata key CAT_ID_METADATA (set by the registration policy, never by the
 * caller) and is kept in the cat_id column.
 */
class ClientAdapter implements OidcAdapter {
  constructor(private readonly dataSource: DataSource) {}

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    const catId = typeof payload[CAT_ID_METADATA] === 'string' ? payload[CAT_ID_METADATA] : null;
    await sql(
      this.dataSource,
      `INSERT INTO auth.oidc_clients (client_id, cat_id, metadata) VALUES ($1, $2, $3)
       ON CONFLICT (client_id) DO UPDATE SET metadata = EXCLUDED.metadata, updated_at = now()`,
      [id, catId, JSON.stringify(withSealedSecret(payload))],
    );
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const { rows } = await sql<{ metadata: AdapterPayload; cat_id: string | null }>(
      this.dataSource,
      `SELECT metadata, cat_id FROM auth.oidc_clients WHERE client_id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) return undefined;
    return row.cat_id ? { ...row.metadata, [CAT_ID_METADATA]: row.cat_id } : row.metadata;
  }

  findByUid(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  findByUserCode(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  consume(): Promise<void> {
    return Promise.resolve();
  }

  async destroy(id: string): Promise<void> {
    await sql(this.dataSource, `DELETE FROM auth.oidc_clients WHERE client_id = $1`, [id]);
  }

  revokeByGrantId(): Promise<void> {
    return Promise.resolve();
  }
}

/** The adapter factory oidc-provider calls once per model name. */
export function postgresAdapter(dataSource: DataSource): (model: string) => OidcAdapter {
  return (model) => (model === 'Client' ? new ClientAdapter(dataSource) : new ModelAdapter(dataSource, model));
}

/** Deletes rows that expired more than `graceSeconds` ago, at most `batchSize` at a time; returns how many. */
export async function pruneExpiredOidcState(dataSource: DataSource, { batchSize = 1_000, graceSeconds = 3_600 } = {}): Promise<number> {
  const { count } = await sql(
    dataSource,
    `DELETE FROM auth.oidc_models WHERE (model, id) IN (
       SELECT model, id FROM auth.oidc_models WHERE expires_at < now() - make_interval(secs => $1) LIMIT $2)`,
    [graceSeconds, batchSize],
  );
  return count;
}
