import { Router, type RequestHandler } from 'express';
import cookieParser from 'cookie-parser';
import type { AuthService } from '../../auth/auth-service';
import type { FederationService } from '../../auth/federation/federation-service';
import type { Config } from '../../config/config';
import { acceptedMailLocale } from '../middleware/accept-language';
import { requireBearerToken } from '../middleware/bearer';
import { requireBodyType } from '../middleware/content-type';
import { csrfGuard } from '../middleware/csrf';
import { answerOtherMethods } from '../middleware/method-not-allowed';
import { parseWith } from '../middleware/validate';
import { IdTokenRequest, IdentityIdParams, LinkIdentityRequest } from '../openapi/federation-schemas';
import { clientInfo } from './auth';
import { sendTokenResponse, type RefreshTransport } from './token-response';

export interface FederationRoutesDeps {
  service: AuthService;
  federation: FederationService;
  config: Config;
}

/** Sign-in with a provider's ID token and the identities of an account (issue 25), under /api/v1/auth. */
export function federationRoutes({ service, federation, config }: FederationRoutesDeps): Router {
  const router = Router();
  const transport: RefreshTransport = { cookieMode: config.auth.refreshTokenCookie, refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds };
  const json = requireBodyType('application/json', 'application/*+json');
  const cookieEndpoint: RequestHandler[] = transport.cookieMode ? [csrfGuard(config.auth.corsOrigins), cookieParser()] : [];

  router.post('/id-token', ...cookieEndpoint, json, async (req, res) => {
    const input = parseWith(IdTokenRequest, req.body);
    // The language of an account this creates: the body's, else the request's (issue 30), as at POST register.
    const grant = await federation.signIn(input, { ...clientInfo(req), locale: input.locale ?? acceptedMailLocale(req) });
    const created = grant.resolution === 'created';
    sendTokenResponse(res, created ? 201 : 200, grant, transport, { user: grant.user, created });
  });

  router.get('/me/identities', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    res.set('cache-control', 'no-store').json({ identities: await federation.list(principal) });
  });

  router.post('/me/identities', json, async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    const input = parseWith(LinkIdentityRequest, req.body);
    res.status(201).json(await federation.link(principal, input, clientInfo(req)));
  });

  router.delete('/me/identities/:id', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    const { id } = parseWith(IdentityIdParams, req.params);
    await federation.unlink(principal, id, clientInfo(req));
    res.status(204).end();
  });

  answerOtherMethods(router, [
    ['/id-token', 'POST'],
    ['/me/identities', 'GET, POST'],
    ['/me/identities/:id', 'DELETE'],
  ]);
  return router;
}
