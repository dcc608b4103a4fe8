import { Router, type RequestHandler } from 'express';
import cookieParser from 'cookie-parser';
import type { AuthService } from '../../auth/auth-service';
import type { GuestService } from '../../auth/guests/guest-service';
import type { Config } from '../../config/config';
import { requireBearerToken } from '../middleware/bearer';
import { requireBodyType } from '../middleware/content-type';
import { csrfGuard } from '../middleware/csrf';
import { answerOtherMethods } from '../middleware/method-not-allowed';
import { parseWith } from '../middleware/validate';
import { GuestRequest, GuestUpgradeRequest } from '../openapi/federation-schemas';
import { acceptedMailLocale } from '../middleware/accept-language';
import { clientInfo } from './auth';
import { sendTokenResponse, type RefreshTransport } from './token-response';

/** Guest players (issue 25): POST guest signs in a new guest, POST guest/upgrade makes it a player with the same id. */
export function guestRoutes({ service, guests, config }: { service: AuthService; guests: GuestService; config: Config }): Router {
  const router = Router();
  const transport: RefreshTransport = { cookieMode: config.auth.refreshTokenCookie, refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds };
  const cookieEndpoint: RequestHandler[] = transport.cookieMode ? [csrfGuard(config.auth.corsOrigins), cookieParser()] : [];
  const json = requireBodyType('application/json', 'application/*+json');

  // A guest brings nothing but its address, which the limit counts, and a CAPTCHA token when one is asked (an empty body then is fine).
  router.post('/guest', ...cookieEndpoint, json, async (req, res) => {
    const input = parseWith(GuestRequest, req.body);
    const grant = await guests.signIn(clientInfo(req), input.captcha_token);
    sendTokenResponse(res, 201, grant, transport, { user: grant.user });
  });

  router.post('/guest/upgrade', ...cookieEndpoint, json, async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    const input = parseWith(GuestUpgradeRequest, req.body);
    // The body's locale wins; Accept-Language only fills a guest that has none (guest-service.ts).
    const client = { ...clientInfo(req), locale: acceptedMailLocale(req) };
    const grant = 'password' in input ? await guests.upgradeWithPassword(principal, input, client) : await guests.upgradeWithIdToken(principal, input, client);
    sendTokenResponse(res, 200, grant, transport, { user: grant.user });
  });

  answerOtherMethods(router, [
    ['/guest', 'POST'],
    ['/guest/upgrade', 'POST'],
  ]);
  return router;
}
