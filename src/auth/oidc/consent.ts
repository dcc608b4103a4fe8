import type { DataSource } from 'typeorm';
import { AppError } from '../../errors/app-error';
import type { AuditClient } from '../audit/audit-events';
import { isUuid } from '../ids';
import { sql } from '../sql';
import { CAT_ID_METADATA } from './adapter';
import { recordConsent } from './connected-apps';
import type { Oidc } from './library';
import { ENGLISH } from './pages/page-words';
import { permissionOfScope } from './scopes';

/**
 * The consent step: what the page shows (the client, its cat and developer, each requested scope in
 * words, the player's installations of the cat) and what a submitted consent does (a Grant with the
 * scopes the player ticked and the rest rejected, bound to the chosen installation). The rules:
 * a permission scope is grantable only if the cat declares that permission (catalog.permissions);
 * the installation must be the player's own, active, of this client's cat.
 */

export interface ScopeChoice {
  scope: string;
  words: string;
  /** The cat's own description of the permission, for permission scopes. */
  detail: string | null;
  /** openid cannot be declined: without it there is no sign-in. */
  required: boolean;
}

export interface ConsentView {
  clientName: string;
  cat: { id: string; name: string; developer: string };
  scopes: ScopeChoice[];
  /** Requested permission scopes the cat does not declare: never grantable, shown as such. */
  unavailable: string[];
  installations: { id: string; name: string; perms: string[] }[];
}

interface CatRow {
  id: string;
  name: string;
  developer: string;
}

async function catOf(dataSource: DataSource, client: Oidc.Client): Promise<CatRow> {
  const catId = client[CAT_ID_METADATA] as string | undefined;
  if (!catId) throw new AppError('forbidden', 'This client belongs to no cat: it cannot ask players for consent.');
  const { rows } = await sql<CatRow>(
    dataSource,
    `SELECT c.id, c.name, COALESCE(u.display_name, 'a Cat House developer') AS developer
       FROM catalog.cats c LEFT JOIN auth.users u ON u.id = c.developer_id WHERE c.id = $1`,
    [catId],
  );
  if (!rows[0]) throw new AppError('not_found', 'The cat of this app no longer exists.');
  return rows[0];
}

/** Everything the consent page shows for `requested` scopes of `client` to `userId`. */
export async function consentView(dataSource: DataSource, client: Oidc.Client, userId: string, requested: string[]): Promise<ConsentView> {
  const cat = await catOf(dataSource, client);
  const { rows: declared } = await sql<{ permission_type: string; description: string | null }>(
    dataSource,
    `SELECT permission_type::text AS permission_type, description FROM catalog.permissions WHERE cat_id = $1 ORDER BY permission_type`,
    [cat.id],
  );
  const { rows: installations } = await sql<{ id: string; instance_name: string; perms: string[] }>(
    dataSource,
    `SELECT i.id, i.instance_name,
            COALESCE(array_agg(p.permission_type::text ORDER BY p.permission_type::text) FILTER (WHERE ip.granted), '{}') AS perms
       FROM installation.installations i
       LEFT JOIN installation.installation_permissions ip ON ip.installation_id = i.id
       LEFT JOIN catalog.permissions p ON p.id = ip.permission_id
      WHERE i.user_id = $1 AND i.cat_id = $2 AND i.status = 'active'
      GROUP BY i.id ORDER BY i.instance_name, i.id`,
    [userId, cat.id],
  );
  const scopes: ScopeChoice[] = [];
  const unavailable: string[] = [];
  for (const scope of requested) {
    const permission = permissionOfScope(scope);
    if (permission) {
      const found = declared.find((d) => d.permission_type === permission);
      if (!found) unavailable.push(scope);
      else scopes.push({ scope, words: ENGLISH.or(`scope.${scope}`, scope), detail: found.description, required: false });
    } else {
      scopes.push({ scope, words: ENGLISH.or(`scope.${scope}`, scope), detail: null, required: scope === 'openid' });
    }
  }
  return {
    clientName: (client.clientName as string | undefined) ?? client.clientId,
    cat,
    scopes,
    unavailable,
    installations: installations.map((i) => ({ id: i.id, name: i.instance_name, perms: i.perms })),
  };
}

export interface ConsentDecision {
  installationId: string;
  /** The scopes the player ticked (openid is added: it cannot be declined). */
  granted: string[];
}

/**
 * Records the player's consent for the interaction: a new Grant with the ticked scopes added and the others rejected, and the connected app bound to
 * the installation. Returns the grant id for the interaction result.
 */
export async function giveConsent(
  deps: { dataSource: DataSource; provider: Oidc.Provider },
  { client, userId, details, decision, audit }: { client: Oidc.Client; userId: string; details: Oidc.Interaction; decision: ConsentDecision; audit?: AuditClient },
): Promise<string> {
  const requested = String(details.params.scope ?? '').split(' ').filter(Boolean);
  const view = await consentView(deps.dataSource, client, userId, requested);
  if (!isUuid(decision.installationId) || !view.installations.some((i) => i.id === decision.installationId.toLowerCase())) {
    throw new AppError('invalid_request', 'Choose one of your active installations of this cat.');
  }
  const grantable = new Set(view.scopes.map((s) => s.scope));
  const granted = [...new Set(['openid', ...decision.granted])].filter((s) => grantable.has(s));
  const rejected = requested.filter((s) => !granted.includes(s));

  // A fresh grant each time: a new consent replaces the old one whole (recordConsent deletes the old
  // grant's tokens), so a scope declined now is not kept from an earlier consent.
  const grant = new deps.provider.Grant({ accountId: userId, clientId: client.clientId });
  grant.addOIDCScope(granted.join(' '));
  if (rejected.length) grant.rejectOIDCScope(rejected.join(' '));
  const grantId = await grant.save();
  await recordConsent(deps.dataSource, {
    userId,
    clientId: client.clientId,
    installationId: decision.installationId.toLowerCase(),
    grantId,
    scopes: grant.getOIDCScope().split(' ').filter(Boolean),
    client: audit,
  });
  return grantId;
}
