import type { Request } from 'express';
import type { AuthService } from '../../auth/auth-service';
import type { Principal } from '../../auth/principal';
import { requireBearerToken } from './bearer';

const PRINCIPAL = Symbol('authenticated principal');

type WithPrincipal = Request & { [PRINCIPAL]?: { token: string; principal: Principal } };

/** Keeps the principal a middleware has authenticated (the step-up guard) for the route's handler. */
export function rememberPrincipal(req: Request, token: string, principal: Principal): void {
  (req as WithPrincipal)[PRINCIPAL] = { token, principal };
}

/**
 * The principal of the request's bearer token: the one a middleware already authenticated for
 * this request and token, else AuthService.authenticate (token, then session and user in the
 * database). The sensitive routes behind the step-up guard so check their session once, not twice.
 */
export function authenticateRequest(req: Request, service: Pick<AuthService, 'authenticate'>): Promise<Principal> {
  const token = requireBearerToken(req);
  const known = (req as WithPrincipal)[PRINCIPAL];
  if (known && known.token === token) return Promise.resolve(known.principal);
  return service.authenticate(token);
}
