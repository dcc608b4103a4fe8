import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import cookieParser from 'cookie-parser';
import { appleFirstSignInName } from '../../auth/federation/apple-client-secret';
import { codeChallengeFor } from '../../auth/federation/handoff-challenge';
import { RedirectSignInError, type RedirectSignIn } from '../../auth/federation/redirect-sign-in';
import type { Config } from '../../config/config';
import { acceptedMailLocale } from '../middleware/accept-language';
import { requireBodyType } from '../middleware/content-type';
import { csrfGuard } from '../middleware/csrf';
import { answerOtherMethods } from '../middleware/method-not-allowed';
import { parseWith } from '../middleware/validate';
import { RedirectExchangeRequest, RedirectStartQuery } from '../openapi/federation-redirect-schemas';
import { clientInfo } from './client-info';
import { sendToPage, sendUnknownPageFlow } from './page-redirect-return';
import { sendTokenResponse, type RefreshTransport } from './token-response';

/**
 * `__Host-`: Secure, this host only, Path=/. SameSite=Lax, not Strict: the provider sends the browser
 * back with a cross-site top-level GET, which must carry it. A form_post provider (Apple) sends it
 * back with a cross-site POST, which only a SameSite=None cookie reaches: that flow's cookie is None
 * (still bound to the flow by the state parameter and its HMAC, redirect-state.ts); the others stay Lax.
 */
export const REDIRECT_STATE_COOKIE = '__Host-redirect_state';
const STATE_COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: 'lax', path: '/' } as const;

/** Sends the browser to the provider with the flow's sealed state cookie (the start of every redirect sign-in, the pages' too). */
export function sendToProvider(res: Response, started: { location: string; cookie: string; maxAgeSeconds: number; crossSitePost: boolean }, status: 302 | 303 = 302): void {
  const sameSite = started.crossSitePost ? 'none' : STATE_COOKIE_OPTIONS.sameSite;
  res.cookie(REDIRECT_STATE_COOKIE, started.cookie, { ...STATE_COOKIE_OPTIONS, sameSite, maxAge: started.maxAgeSeconds * 1000 });
  res.set('cache-control', 'no-store').redirect(status, started.location);
}

export interface FederationRedirectDeps {
  redirects: RedirectSignIn;
  config: Config;
}

function sendToFrontend(res: Response, returnTo: string, params: Record<string, string>): void {
  const url = new URL(returnTo);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  // 303: the frontend page is fetched with GET whatever method reached us; the code is one-time and short-lived.
  res.set('cache-control', 'no-store').set('referrer-policy', 'no-referrer').redirect(303, url.href);
}

/**
 * Web redirect sign-in with any OpenID provider (issue 25 item 2), under /api/v1/auth:
 * GET redirect/{provider} starts it, GET redirect/callback is the provider's redirect_uri and
 * returns to the allow-listed frontend URL with ?code= (or ?error=), POST redirect/exchange spends
 * that code for the token response of the configured browser mode.
 */
export function federationRedirectRoutes({ redirects, config }: FederationRedirectDeps): Router {
  const router = Router();
  if (!redirects.enabled) return router;
  const transport: RefreshTransport = { cookieMode: config.auth.refreshTokenCookie, refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds };
  const cookieEndpoint: RequestHandler[] = transport.cookieMode ? [csrfGuard(config.auth.corsOrigins), cookieParser()] : [];
  const cookie = STATE_COOKIE_OPTIONS;

  const callback = async (req: Request, res: Response, callbackUrl: URL, firstSignInName?: string) => {
    res.clearCookie(REDIRECT_STATE_COOKIE, cookie);
    const cookies = req.cookies as Record<string, unknown> | undefined;
    try {
      // The callback is the player's browser: its Accept-Language is the language of an account this creates (issue 30).
      const { returnTo, code, page } = await redirects.finish(callbackUrl, cookies?.[REDIRECT_STATE_COOKIE], { ...clientInfo(req), locale: acceptedMailLocale(req) }, { firstSignInName });
      if (page) sendToPage(res, config, page, { code });
      else sendToFrontend(res, returnTo, { code });
    } catch (err) {
      // Never a 500 on the callback: the browser always lands on the frontend (or the page that
      // started the flow) with an OAuth-style error.
      const refusal = err instanceof RedirectSignInError ? err : undefined;
      if (!refusal || refusal.cause) req.log?.error({ err: refusal?.cause ?? err }, 'redirect sign-in callback failed');
      if (refusal?.page === 'unknown') return sendUnknownPageFlow(res);
      if (refusal?.page) return sendToPage(res, config, refusal.page, { error: refusal.error });
      sendToFrontend(res, refusal?.returnTo ?? config.webSignIn.returnUrls[0]!, {
        error: refusal?.error ?? 'server_error',
        error_description: refusal?.description ?? 'The sign-in could not be completed; try again.',
      });
    }
  };
  router.get('/redirect/callback', cookieParser(), (req, res) => callback(req, res, new URL(req.originalUrl, 'http://callback.invalid')));
  // response_mode=form_post (Apple): the same answer, posted. Its fields become the URL's parameters,
  // as openid-client does with a posted Request; Apple's `user` (first sign-in only) carries the name.
  router.post('/redirect/callback', cookieParser(), express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }), (req, res) => {
    const url = new URL(req.originalUrl, 'http://callback.invalid');
    const form = (req.is('application/x-www-form-urlencoded') ? req.body : {}) as Record<string, unknown>;
    for (const [name, value] of Object.entries(form)) if (name !== 'user' && typeof value === 'string') url.searchParams.set(name, value);
    return callback(req, res, url, appleFirstSignInName(form.user));
  });

  router.get('/redirect/:provider', async (req, res) => {
    const { return_to, code_challenge, code_challenge_method } = parseWith(RedirectStartQuery, req.query);
    const returnTo = redirects.returnUrl(return_to);
    const challenge = codeChallengeFor(returnTo, code_challenge, code_challenge_method);
    sendToProvider(res, await redirects.start(String(req.params.provider), returnTo, challenge));
  });

  router.post('/redirect/exchange', ...cookieEndpoint, requireBodyType('application/json', 'application/*+json'), async (req, res) => {
    const { code, code_verifier } = parseWith(RedirectExchangeRequest, req.body);
    const grant = await redirects.exchange(code, clientInfo(req), code_verifier);
    sendTokenResponse(res, 200, grant, transport, { user: grant.user });
  });

  answerOtherMethods(router, [
    ['/redirect/callback', 'GET, POST'],
    ['/redirect/exchange', 'POST'],
    ['/redirect/:provider', 'GET'],
  ]);
  return router;
}
