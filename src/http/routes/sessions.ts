import { Router } from 'express';
import type { AccountViews } from '../../auth/accounts/account-views';
import type { AuthService } from '../../auth/auth-service';
import { requireBearerToken } from '../middleware/bearer';
import { parseWith } from '../middleware/validate';
import { MyEventsQuery, MySessionsQuery, SessionIdParams } from '../openapi/account-schemas';
import { answerOtherMethods } from '../middleware/method-not-allowed';
import { clientInfo } from './auth';

export interface SessionRoutesDeps {
  service: AuthService;
  accounts: AccountViews;
}

/** The caller's own devices and security history, under /api/v1/auth/me (issue 11). */
export function sessionRoutes({ service, accounts }: SessionRoutesDeps): Router {
  const router = Router();

  router.get('/me/sessions', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    const { limit } = parseWith(MySessionsQuery, { ...req.query }, 'query');
    res.set('cache-control', 'no-store').json(await accounts.mySessions(principal, limit));
  });

  router.delete('/me/sessions/:id', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    const { id } = parseWith(SessionIdParams, { id: req.params.id }, 'path');
    await accounts.endMySession(principal, id, clientInfo(req));
    res.status(204).end();
  });

  router.get('/me/events', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    const query = parseWith(MyEventsQuery, { ...req.query }, 'query');
    res.set('cache-control', 'no-store').json(await accounts.myEvents(principal, query));
  });

  answerOtherMethods(router, [
    ['/me/sessions', 'GET'],
    ['/me/sessions/:id', 'DELETE'],
    ['/me/events', 'GET'],
  ]);
  return router;
}
