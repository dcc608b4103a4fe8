import { Router, type Request } from 'express';
import type { DataSource } from 'typeorm';
import type { AuthService } from '../../auth/auth-service';
import { deleteClient, issueInitialAccessToken, listClients, registerCatClient } from '../../auth/oidc/clients';
import { listConnectedApps, revokeConnectedApp } from '../../auth/oidc/connected-apps';
import type { Oidc } from '../../auth/oidc/library';
import { AppError } from '../../errors/app-error';
import { requireBearerToken } from '../middleware/bearer';
import { authenticateRequest } from '../middleware/request-principal';
import { answerOtherMethods } from '../middleware/method-not-allowed';
import { parseWith } from '../middleware/validate';
import {
  ClientIdParams,
  ClientRequest,
  ClientsQuery,
  ConnectedAppIdParams,
  InitialAccessTokenRequest,
  UserConnectedAppParams,
} from '../openapi/oidc-schemas';
import { UserIdParams } from '../openapi/schemas';
import { clientInfo } from './auth';

export interface ConnectedAppRoutesDeps {
  service: AuthService;
  dataSource: DataSource;
  provider: Oidc.Provider;
}

const DEFAULT_INITIAL_ACCESS_TOKEN_TTL = 86_400;

/**
 * The OpenID provider's JSON endpoints under /api/v1/auth (issue 27): a player's connected apps
 * (me/connected-apps), the admin's view of anyone's, and developers' clients of their cats.
 */
export function connectedAppRoutes({ service, dataSource, provider }: ConnectedAppRoutesDeps): Router {
  const router = Router();

  router.get('/me/connected-apps', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    res.set('cache-control', 'no-store').json({ connected_apps: await listConnectedApps(dataSource, principal.userId) });
  });

  router.delete('/me/connected-apps/:id', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    const { id } = parseWith(ConnectedAppIdParams, { id: req.params.id }, 'path');
    await revokeConnectedApp(dataSource, { userId: principal.userId, appId: id, reason: 'user', client: clientInfo(req) });
    res.status(204).end();
  });

  router.get('/users/:id/connected-apps', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    service.assertAdmin(principal);
    const { id } = parseWith(UserIdParams, { id: req.params.id }, 'path');
    res.set('cache-control', 'no-store').json({ connected_apps: await listConnectedApps(dataSource, id) });
  });

  router.delete('/users/:id/connected-apps/:appId', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    service.assertAdmin(principal);
    const { id, appId } = parseWith(UserConnectedAppParams, { id: req.params.id, appId: req.params.appId }, 'path');
    await revokeConnectedApp(dataSource, { userId: id, appId, actorId: principal.userId, reason: 'admin', client: clientInfo(req) });
    res.status(204).end();
  });

  const developer = async (req: Request<Record<string, string>>) => {
    // Behind the step-up guard for POST and DELETE: its principal is taken, not checked again.
    const principal = await authenticateRequest(req, service);
    if (principal.role !== 'developer' && principal.role !== 'admin') throw new AppError('forbidden', 'Only developers (and admins) manage OpenID clients.');
    return { userId: principal.userId, role: principal.role };
  };

  router.post('/oidc/clients', async (req, res) => {
    const actor = await developer(req);
    const input = parseWith(ClientRequest, req.body);
    res.status(201).set('cache-control', 'no-store').json(await registerCatClient({ dataSource, provider }, actor, input, clientInfo(req)));
  });

  router.get('/oidc/clients', async (req, res) => {
    const actor = await developer(req);
    const { cat_id } = parseWith(ClientsQuery, { ...req.query }, 'query');
    res.set('cache-control', 'no-store').json({ clients: await listClients(dataSource, actor, cat_id) });
  });

  router.delete('/oidc/clients/:clientId', async (req, res) => {
    const actor = await developer(req);
    const { clientId } = parseWith(ClientIdParams, { clientId: req.params.clientId }, 'path');
    await deleteClient(dataSource, actor, clientId, clientInfo(req));
    res.status(204).end();
  });

  router.post('/oidc/initial-access-tokens', async (req, res) => {
    const actor = await developer(req);
    const input = parseWith(InitialAccessTokenRequest, req.body);
    const issued = await issueInitialAccessToken({ dataSource, provider }, actor, input.cat_id, input.expires_in ?? DEFAULT_INITIAL_ACCESS_TOKEN_TTL);
    res.status(201).set('cache-control', 'no-store').json(issued);
  });

  answerOtherMethods(router, [
    ['/me/connected-apps', 'GET'],
    ['/me/connected-apps/:id', 'DELETE'],
    ['/users/:id/connected-apps', 'GET'],
    ['/users/:id/connected-apps/:appId', 'DELETE'],
    ['/oidc/clients', 'GET, POST'],
    ['/oidc/clients/:clientId', 'DELETE'],
    ['/oidc/initial-access-tokens', 'POST'],
  ]);
  return router;
}
