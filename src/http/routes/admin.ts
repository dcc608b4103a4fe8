import { Router } from 'express';
import type { AccountViews } from '../../auth/accounts/account-views';
import type { AuthService } from '../../auth/auth-service';
import { requireBearerToken } from '../middleware/bearer';
import { parseWith } from '../middleware/validate';
import { EventsQuery, UsersQuery } from '../openapi/account-schemas';
import { UserIdParams } from '../openapi/schemas';
import { answerOtherMethods } from '../middleware/method-not-allowed';
import { clientInfo } from './auth';

export interface AdminRoutesDeps {
  service: AuthService;
  accounts: AccountViews;
}

/**
 * The admin's view of users and the audit log, under /api/v1/auth (issue 11). PATCH users/{id}
 * stays in auth.ts; this router is mounted first and lets other methods on users/{id} through.
 */
export function adminRoutes({ service, accounts }: AdminRoutesDeps): Router {
  const router = Router();

  router.get('/users', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    const q = parseWith(UsersQuery, { ...req.query }, 'query');
    const page = await accounts.users(principal, { role: q.role, isActive: q.is_active, emailPrefix: q.email, after: q.after, limit: q.limit });
    res.set('cache-control', 'no-store').json(page);
  });

  router.get('/users/:id', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    const { id } = parseWith(UserIdParams, { id: req.params.id }, 'path');
    res.set('cache-control', 'no-store').json(await accounts.user(principal, id));
  });

  router.delete('/users/:id/sessions', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    const { id } = parseWith(UserIdParams, { id: req.params.id }, 'path');
    res.json({ sessions_ended: await accounts.endUserSessions(principal, id, clientInfo(req)) });
  });

  router.get('/events', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    const q = parseWith(EventsQuery, { ...req.query }, 'query');
    res.set('cache-control', 'no-store').json(await accounts.events(principal, { userId: q.user_id, type: q.type, before: q.before, limit: q.limit }));
  });

  answerOtherMethods(router, [
    ['/users', 'GET'],
    ['/users/:id/sessions', 'DELETE'],
    ['/events', 'GET'],
  ]);
  return router;
}
