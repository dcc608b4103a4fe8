import { Router, type RequestHandler } from 'express';
import type { DataSource } from 'typeorm';
import type { OidcProvider } from '../../auth/oidc/provider';
import type { ProviderRedirects } from '../../auth/oidc/sign-in/provider-redirect';
import type { SignInMethod, SignInRecorder, SignInStep } from '../../auth/oidc/sign-in/sign-in-method';
import type { Logger } from '../../logging/logger';
import { interactionRoutes } from './oidc-interactions';

export interface OidcRoutesDeps {
  oidc: OidcProvider;
  dataSource: DataSource;
  formKeys: readonly Buffer[];
  methods: readonly SignInMethod[];
  /** Steps after a method's success (issue 26: the second factor). */
  steps?: readonly SignInStep[];
  /** Records a finished sign-in (login_succeeded), after its steps. */
  signedIn: SignInRecorder;
  logger?: Logger;
  /** "Continue with <provider>" on the login page (issue 25), when web redirect providers are configured. */
  redirects?: ProviderRedirects | undefined;
}

/**
 * The OpenID provider under its issuer path (`/oidc`): our interaction pages first, then the
 * library's endpoints (discovery, authorization, token, userinfo, introspection, revocation,
 * registration, end_session, jwks). Mounted before the JSON body parser and the API's CORS: the
 * library reads its own bodies and answers CORS per client.
 *
 * RFC 8414 §3: for an issuer with a path, the authorization server metadata is at
 * `/.well-known/oauth-authorization-server/<path>` on the host; that request is handed to the
 * library's own metadata route.
 *
 * Mounted at the root, it lets every other request by after one string comparison: the API's
 * requests never enter its router (issue 31: each router layer passed costs every request).
 */
export function oidcRoutes({ oidc, dataSource, formKeys, methods, steps = [], signedIn, logger, redirects }: OidcRoutesDeps): RequestHandler {
  const { provider, mountPath } = oidc;
  const router = Router();
  const rfc8414Path = `/.well-known/oauth-authorization-server${mountPath}`;
  router.use((req, _res, next) => {
    if (req.path === rfc8414Path) {
      // The library derives its endpoint URLs from originalUrl minus url: both name the mounted route.
      req.url = `${mountPath}/.well-known/oauth-authorization-server`;
      req.originalUrl = req.url;
    }
    next();
  });
  router.use(`${mountPath}/interaction`, interactionRoutes({ provider, mountPath, dataSource, formKeys, methods, steps, signedIn, logger, redirects }));
  router.use(mountPath, provider.callback());
  // Express matches mount paths case-insensitively, up to a `/` or the end: the same test here.
  const mount = mountPath.toLowerCase();
  return (req, res, next) => {
    const p = req.path.toLowerCase();
    if (p === mount || p.startsWith(`${mount}/`) || req.path === rfc8414Path) router(req, res, next);
    else next();
  };
}
