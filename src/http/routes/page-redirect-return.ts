import type { Response } from 'express';
import { errorPage } from '../../auth/oidc/pages/error-page';
import { PAGE_CSP } from '../../auth/oidc/pages/layout';
import type { SignInPage } from '../../auth/oidc/sign-in/provider-redirect';
import type { Config } from '../../config/config';
import { pageWordsFor, setPageLanguage } from '../../auth/oidc/pages/page-language';

/**
 * The end of a redirect sign-in started on one of the service's own pages (the login page's
 * interaction, /device): the callback sends the browser back to that page, built here from the
 * page in the flow's signed state and the configured URLs (OIDC_ISSUER for the login page,
 * the device flow's verification_uri for /device), never from anything in the request.
 */
export function pageReturnUrl(config: Config, page: SignInPage, params: Record<string, string>): URL {
  const url =
    page.kind === 'oidc'
      ? new URL(`${config.oidc.issuer}/interaction/${encodeURIComponent(page.uid)}/federated`)
      : new URL(`${config.developerCredentials.device.verificationUri.replace(/\/+$/, '')}/federated`);
  if (page.kind === 'device') url.searchParams.set('user_code', page.userCode);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url;
}

export function sendToPage(res: Response, config: Config, page: SignInPage, params: Record<string, string>): void {
  // 303 and no referrer, as for the frontend: the one-time code is in this URL.
  res.set('cache-control', 'no-store').set('referrer-policy', 'no-referrer').redirect(303, pageReturnUrl(config, page, params).href);
}

/**
 * A page's flow whose state cookie is gone (a replayed or very late callback, or another
 * browser): nobody can say which page it was, so it ends here, on a page that says what to do.
 */
export function sendUnknownPageFlow(res: Response): void {
  const w = pageWordsFor(res.req);
  setPageLanguage(res, w);
  res
    .status(400)
    .set({ 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP, 'cache-control': 'no-store' })
    .send(
      errorPage({ error: 'invalid_request', note: w.t('error_page.unknown_page_flow') }, w),
    );
}
