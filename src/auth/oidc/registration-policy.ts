import type { DataSource } from 'typeorm';
import { isUuid } from '../ids';
import { sql } from '../sql';
import { CAT_ID_METADATA } from './adapter';
import { errors } from './library';

/**
 * RFC 7591 registration policies. An initial access token carries the policy `cat:<cat id>` for the
 * cat it was issued for (clients.ts); the policy binds the new client to that cat whatever the
 * request says, and forces what every cat client is: the code flow only, ES256 ID tokens. The
 * library looks policies up by name, so the object answers every `cat:<uuid>` name (a Proxy), and
 * `validatePolicies` refuses any other name when the token is created.
 */
export const CAT_POLICY_PREFIX = 'cat:';

type Policy = (ctx: unknown, properties: Record<string, unknown>) => Promise<void>;

export function registrationPolicies(dataSource: DataSource): Record<string, Policy> {
  const forCat = (catId: string): Policy => async (_ctx, properties) => {
    const { rows } = await sql(dataSource, `SELECT 1 FROM catalog.cats WHERE id = $1`, [catId]);
    if (rows.length === 0) throw new errors.InvalidClientMetadata('the cat of this initial access token no longer exists');
    properties[CAT_ID_METADATA] = catId;
    properties.response_types = ['code'];
    properties.id_token_signed_response_alg = 'ES256';
    const grants = Array.isArray(properties.grant_types) ? properties.grant_types : ['authorization_code'];
    if (grants.some((g) => g !== 'authorization_code' && g !== 'refresh_token')) {
      throw new errors.InvalidClientMetadata('grant_types may only be authorization_code and refresh_token');
    }
  };
  return new Proxy({} as Record<string, Policy>, {
    get(_target, name) {
      if (typeof name !== 'string' || !name.startsWith(CAT_POLICY_PREFIX)) return undefined;
      const catId = name.slice(CAT_POLICY_PREFIX.length);
      return isUuid(catId) ? forCat(catId.toLowerCase()) : undefined;
    },
  });
}
