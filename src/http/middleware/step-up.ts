import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthService } from '../../auth/auth-service';
import type { StepUpAction } from '../../auth/factors/step-up-policy';
import type { Principal } from '../../auth/principal';
import type { UserRole } from '../../db/entities/index';
import { isAppError } from '../../errors/app-error';
import { bearerToken } from './bearer';
import { rememberPrincipal } from './request-principal';

/** The sensitive endpoints (issue 26 §5) and the step-up action each is judged as; `role`: the role the action gives. */
const EXACT: ReadonlyMap<string, { action: StepUpAction; role?: UserRole }> = new Map([
  ['POST /password/change', { action: 'change_password' }],
  ['POST /email/change', { action: 'change_email' }],
  ['DELETE /me', { action: 'delete_account' }],
  ['POST /me/developer', { action: 'become_developer', role: 'developer' }],
  ['POST /oidc/clients', { action: 'manage_clients' }],
  ['POST /oidc/initial-access-tokens', { action: 'manage_clients' }],
]);
const PATTERNS: readonly { method: string; path: RegExp; action: StepUpAction }[] = [
  { method: 'DELETE', path: /^\/oidc\/clients\/[^/]+$/, action: 'manage_clients' },
  { method: 'PATCH', path: /^\/users\/[^/]+$/, action: 'change_user' },
];

/** The methods of the rules above: a request of any other (GET /me, the hot path) costs one Set lookup. */
const GUARDED_METHODS: ReadonlySet<string> = new Set([...[...EXACT.keys()].map((k) => k.split(' ')[0]!), ...PATTERNS.map((p) => p.method)]);

export type StepUpCheck = (principal: Principal, action: StepUpAction, options: { role?: UserRole }) => Promise<void>;

/**
 * Step-up in front of the sensitive endpoints of other routers (account, admin, OpenID clients),
 * so the rule lives in one table rather than in each handler: a request with a bearer token is
 * checked against the step-up policy (src/auth/factors/step-up-policy.ts) before its route runs.
 * A request without a token, or whose token the service refuses, goes on to its route, which
 * answers that as it always has. Every other request costs a map lookup.
 */
export function stepUpGuard(service: Pick<AuthService, 'authenticate'>, check: StepUpCheck): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!GUARDED_METHODS.has(req.method)) {
      next();
      return;
    }
    const rule = EXACT.get(`${req.method} ${req.path}`) ?? PATTERNS.find((p) => p.method === req.method && p.path.test(req.path));
    if (!rule) {
      next();
      return;
    }
    void (async () => {
      let principal: Principal;
      try {
        const token = bearerToken(req);
        if (token === undefined) return next();
        principal = await service.authenticate(token);
        // The route authenticates through authenticateRequest, which takes this one: one session check, not two.
        rememberPrincipal(req, token, principal);
      } catch (err) {
        if (isAppError(err)) return next();
        return next(err);
      }
      // Admin-only and developer-only routes judge who may call them: step-up only asks more of who may.
      if (rule.action === 'change_user' && principal.role !== 'admin') return next();
      if (rule.action === 'manage_clients' && principal.role === 'player') return next();
      await check(principal, rule.action, 'role' in rule && rule.role ? { role: rule.role } : {});
      next();
    })().catch(next);
  };
}
