import type { RequestHandler } from 'express';
import { AppError } from '../../errors/app-error';

/** The header cookie-mode requests must carry; any non-empty value will do. */
export const CSRF_HEADER = 'x-requested-with';

/**
 * The service's own origin: the same scheme and host as the request, or https with the same host.
 * The second form is a page served over HTTPS by a TLS-terminating proxy while the request reaches
 * us as plain HTTP (no TRUST_PROXY to tell us the scheme); the host, with its port, is what names
 * the site. A plain-http page of the same host is never taken for an https one.
 */
function isOwnOrigin(origin: string, protocol: string, host: string): boolean {
  if (origin === `${protocol}://${host}`) return true;
  try {
    const url = new URL(origin);
    return url.protocol === 'https:' && url.host === host;
  } catch {
    return false;
  }
}

/**
 * CSRF protection for the endpoints that set or read the refresh cookie (cookie mode only).
 *
 * Two stateless checks, chosen over a double-submit token because they need no extra cookie or
 * token round trip and hold across instances:
 * 1. A custom header (`X-Requested-With`) is required. HTML forms and other "simple" cross-site
 *    requests cannot set one, and a cross-origin script can only after a CORS preflight, which
 *    our allow-list refuses for unlisted origins.
 * 2. When the browser sends `Origin` (it does on every POST), it must be listed in CORS_ORIGINS
 *    or be the service's own origin. This also covers sibling subdomains, which SameSite=Strict
 *    treats as same-site.
 */
export function csrfGuard(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, _res, next) => {
    const marker = req.headers[CSRF_HEADER];
    if (typeof marker !== 'string' || marker.trim() === '') {
      next(new AppError('csrf_failed', `Cookie-mode requests must send the ${CSRF_HEADER} header (any value, e.g. "fetch").`));
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowed.has(origin) && !isOwnOrigin(origin, req.protocol, req.host)) {
      next(new AppError('csrf_failed', 'The request comes from an origin this service does not trust.'));
      return;
    }
    next();
  };
}
