import { Router } from 'express';
import type { DataSource } from 'typeorm';
import type { AuthService } from '../../auth/auth-service';
import { createPat, listPats, revokeAllPats, revokePat, type PatSettings } from '../../auth/developer-credentials/personal-access-tokens';
import { requireBearerToken } from '../middleware/bearer';
import { requireBodyType } from '../middleware/content-type';
import { answerOtherMethods } from '../middleware/method-not-allowed';
import { parseWith } from '../middleware/validate';
import { CreatePatRequest, PatIdParams } from '../openapi/developer-credentials-schemas';
import { clientInfo } from './client-info';

export interface PatRoutesDeps {
  service: AuthService;
  dataSource: DataSource;
  settings: PatSettings;
}

/**
 * The caller's personal access tokens under /api/v1/auth/me/tokens (issue 28). Only a session's
 * access token manages them: a PAT-derived token has no session and is refused by authenticate().
 */
export function personalAccessTokenRoutes({ service, dataSource, settings }: PatRoutesDeps): Router {
  const router = Router();
  const json = requireBodyType('application/json', 'application/*+json');

  router.get('/me/tokens', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    res.set('cache-control', 'no-store').json({ tokens: await listPats(dataSource, principal.userId) });
  });

  router.post('/me/tokens', json, async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    const input = parseWith(CreatePatRequest, req.body);
    const created = await createPat(dataSource, principal, { name: input.name, scopes: input.scopes, expiresAt: new Date(input.expires_at) }, settings, clientInfo(req));
    res.status(201).set({ 'cache-control': 'no-store', pragma: 'no-cache' }).json(created);
  });

  router.delete('/me/tokens', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    res.json({ revoked: await revokeAllPats(dataSource, principal, clientInfo(req)) });
  });

  router.delete('/me/tokens/:id', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    const { id } = parseWith(PatIdParams, { id: req.params.id }, 'path');
    await revokePat(dataSource, principal, id, clientInfo(req));
    res.status(204).end();
  });

  answerOtherMethods(router, [
    ['/me/tokens', 'GET, POST, DELETE'],
    ['/me/tokens/:id', 'DELETE'],
  ]);
  return router;
}
