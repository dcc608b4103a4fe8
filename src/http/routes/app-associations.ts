import { Router } from 'express';
import type { Config } from '../../config/config';

/**
 * The files that let the native apps use passkeys of this domain (issue 26): Apple's
 * apple-app-site-association (`webcredentials`) and Android's Digital Asset Links
 * (`get_login_creds`), both from configuration (APPLE_APP_IDS, ANDROID_APPS). Served at the
 * root, where the platforms look, as JSON without a redirect; cached for an hour (Apple's CDN
 * caches them itself).
 */
export function appAssociationRoutes(settings: Config['factors']): Router {
  const router = Router();
  const apple = { webcredentials: { apps: [...settings.appleAppIds] } };
  const android = settings.androidApps.map((app) => ({
    relation: ['delegate_permission/common.get_login_creds'],
    target: { namespace: 'android_app', package_name: app.packageName, sha256_cert_fingerprints: [...app.fingerprints] },
  }));
  router.get('/.well-known/apple-app-site-association', (_req, res) => {
    res.set('cache-control', 'public, max-age=3600').json(apple);
  });
  router.get('/.well-known/assetlinks.json', (_req, res) => {
    res.set('cache-control', 'public, max-age=3600').json(android);
  });
  return router;
}
