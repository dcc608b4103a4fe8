import { Router } from 'express';
import type { SigningKeys } from '../../auth/tokens/signing-keys';

export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * The public keys that verify our access tokens: the current one and those kept after a
 * rotation. Caches may keep it five minutes; verifiers refetch early when they meet an unknown
 * `kid`, so a new key is picked up at once.
 */
export function jwksRoutes(keys: SigningKeys): Router {
  const router = Router();
  const body = keys.jwks();
  router.get(JWKS_PATH, (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(body);
  });
  return router;
}
