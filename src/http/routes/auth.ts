import cookieParser from 'cookie-parser';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AuthService } from '../../auth/auth-service';
import type { AbuseDefences } from '../../auth/abuse/defences';
import { acceptedMailLocale } from '../middleware/accept-language';
import type { Config } from '../../config/config';
import { AppError } from '../../errors/app-error';
import { bearerToken, requireBearerToken } from '../middleware/bearer';
import { requireBodyType } from '../middleware/content-type';
import { authenticateRequest } from '../middleware/request-principal';
import { answerOtherMethods } from '../middleware/method-not-allowed';
import { csrfGuard } from '../middleware/csrf';
import { parseWith } from '../middleware/validate';
import { TOKEN_EXCHANGE_GRANT } from '../../auth/tokens/token-exchange';
import { DEVICE_CODE_GRANT } from '../../auth/developer-credentials/device-token';
import { clientGrants } from './client-grants';
import { clientInfo } from './client-info';
import { isDeveloperGrant, type developerGrants } from './developer-grants';
import {
  CLIENT_GRANT_TYPES,
  GRANT_TYPES,
  LoginRequest,
  LogoutRequest,
  RefreshRequest,
  RegisterRequest,
  TokenRequest,
  UpdateUserRequest,
} from '../openapi/schemas';
import {
  clearRefreshCookie,
  presentedRefreshToken,
  refreshCookie,
  sendTokenResponse,
  type RefreshTransport,
} from './token-response';

export interface AuthRoutesDeps {
  service: AuthService;
  config: Config;
  /** client_credentials and token exchange at /token (client-grants.ts). */
  clientGrant: ReturnType<typeof clientGrants>;
  /** Issue 28: the device code grant and personal access token exchange at /token (developer-grants.ts). */
  developerGrant: ReturnType<typeof developerGrants>;
  /** CAPTCHA at registration (issue 30); a suspicious login's is AuthService's (checkSignInPassword), shared with the sign-in pages. */
  abuse: Pick<AbuseDefences, 'captcha'>;
}

// In its own file so routes that auth.ts itself imports (developer-grants.ts) can use it without a cycle.
export { clientInfo };

/**
 * The auth endpoints under /api/v1/auth (DESIGN.md §4). Each handler validates with the schema
 * the OpenAPI document is generated from, calls AuthService, and shapes the answer.
 */
export function authRoutes({ service, config, clientGrant, developerGrant, abuse }: AuthRoutesDeps): Router {
  const router = Router();
  const transport: RefreshTransport = {
    cookieMode: config.auth.refreshTokenCookie,
    refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
  };
  const json = requireBodyType('application/json', 'application/*+json');
  const jsonOrForm = requireBodyType('application/json', 'application/*+json', 'application/x-www-form-urlencoded');
  const form = express.urlencoded({ extended: false, limit: config.http.jsonBodyLimit, parameterLimit: 20 });
  // In cookie mode every endpoint that sets or reads the refresh cookie is CSRF-guarded.
  const cookieEndpoint: RequestHandler[] = transport.cookieMode
    ? [csrfGuard(config.auth.corsOrigins), cookieParser()]
    : [];

  /** The refresh grant of /refresh and /token; a refused token also clears the refresh cookie. */
  const refreshGrant = async (req: Request, res: Response, bodyToken: string | undefined) => {
    const token = presentedRefreshToken(req, bodyToken, transport);
    try {
      sendTokenResponse(res, 200, await service.refresh(token, clientInfo(req)), transport);
    } catch (err) {
      if (err instanceof AppError && err.code === 'invalid_grant') clearRefreshCookie(res, transport);
      throw err;
    }
  };

  // The hot paths first: every route passed on the way is matched against each request.
  router.get('/me', async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    res.set('cache-control', 'no-store').json(service.me(principal));
  });

  router.post('/refresh', ...cookieEndpoint, json, async (req, res) => {
    const input = parseWith(RefreshRequest, req.body);
    await refreshGrant(req, res, input.refresh_token);
  });

  router.post('/register', ...cookieEndpoint, json, async (req, res) => {
    const { captcha_token: captchaToken, ...input } = parseWith(RegisterRequest, req.body);
    await abuse.captcha.verify(captchaToken, 'register', clientInfo(req).ip);
    const grant = await service.register({ ...input, locale: input.locale ?? acceptedMailLocale(req) }, clientInfo(req));
    sendTokenResponse(res, 201, grant, transport, { user: grant.user });
  });

  router.post('/login', ...cookieEndpoint, json, async (req, res) => {
    const input = parseWith(LoginRequest, req.body);
    const grant = await service.login(input.email, input.password, clientInfo(req), input.captcha_token);
    sendTokenResponse(res, 200, grant, transport, { user: grant.user });
  });

  // Client grants never touch the refresh cookie, so the cookie-mode CSRF guard is for the user grants only.
  const isClientGrant = (req: Request) => CLIENT_GRANT_TYPES.includes((req.body as { grant_type?: unknown } | undefined)?.grant_type as string);
  const userGrantGuards: RequestHandler[] = cookieEndpoint.map((guard) => (req, res, next) => (isClientGrant(req) ? next() : guard(req, res, next)));
  router.post('/token', form, jsonOrForm, ...userGrantGuards, async (req, res) => {
    const body: unknown = req.body;
    // The grant type is judged first, so that an unknown one is unsupported_grant_type (RFC 6749 §5.2), not a field error.
    const grantType = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).grant_type : undefined;
    if (typeof grantType === 'string' && !(GRANT_TYPES as readonly string[]).includes(grantType)) {
      throw new AppError('unsupported_grant_type', `The grant type must be one of ${GRANT_TYPES.join(', ')}.`);
    }
    const input = parseWith(TokenRequest, body);
    // The device code grant, and a token exchange whose subject is a personal access token (issue 28).
    if (input.grant_type === DEVICE_CODE_GRANT || isDeveloperGrant(input)) {
      await developerGrant(req, res, input);
      return;
    }
    if (input.grant_type === TOKEN_EXCHANGE_GRANT && input.scope !== undefined) {
      throw new AppError('invalid_request', 'scope is for personal access token exchange only; an installation token carries what the installation grants.');
    }
    if (input.grant_type === 'client_credentials' || input.grant_type === TOKEN_EXCHANGE_GRANT) {
      await clientGrant(req, res, input, clientInfo(req).ip);
      return;
    }
    if (input.grant_type === 'refresh_token') {
      await refreshGrant(req, res, input.refresh_token);
      return;
    }
    const email = input.username ?? input.email;
    if (email === undefined || (input.username !== undefined && input.email !== undefined && input.username !== input.email)) {
      throw new AppError('invalid_request', 'The request body is invalid: username: give the email as username or email (one of them).', {
        fields: { invalid_params: [{ name: 'username', reason: 'required (or email)' }] },
      });
    }
    sendTokenResponse(res, 200, await service.login(email, input.password, clientInfo(req), input.captcha_token), transport);
  });

  router.post('/logout', ...cookieEndpoint, json, async (req, res) => {
    const input = parseWith(LogoutRequest, req.body);
    const scope = input.scope ?? 'local';
    const accessToken = bearerToken(req);
    const refreshToken = input.refresh_token ?? refreshCookie(req, transport);
    if (accessToken !== undefined) await service.logout({ accessToken }, scope, clientInfo(req));
    else if (refreshToken !== undefined) await service.logout({ refreshToken }, scope, clientInfo(req));
    else {
      throw new AppError('invalid_request', 'Send the access token (Authorization: Bearer) or the refresh token of the session to end.');
    }
    // `others` keeps this session: its cookie stays (clearing it logged this browser out too).
    if (scope !== 'others') clearRefreshCookie(res, transport);
    res.status(204).end();
  });

  router.patch('/users/:id', json, async (req, res) => {
    const principal = await authenticateRequest(req, service);
    service.assertAdmin(principal);
    const changes = parseWith(UpdateUserRequest, req.body);
    res.json(await service.changeUser(principal, String(req.params.id), changes, clientInfo(req)));
  });

  return router;
}

/**
 * 405 with `Allow` for the auth endpoints' paths asked with another method. Mounted after every
 * other router: /me and /users/{id} have methods served by the account and admin routers, and the
 * auth router itself comes first because it serves the hot paths (GET /me, POST /refresh).
 */
export function authMethodNotAllowed(): Router {
  const router = Router();
  answerOtherMethods(router, [
    ['/register', 'POST'],
    ['/login', 'POST'],
    ['/refresh', 'POST'],
    ['/token', 'POST'],
    ['/logout', 'POST'],
    ['/me', 'GET, PATCH, DELETE'],
    ['/users/:id', 'GET, PATCH'],
  ]);
  return router;
}
