import type { DataSource } from 'typeorm';
import { CAT_ID_METADATA } from './adapter';
import { registrationPolicies } from './registration-policy';
import { grantAccess } from './connected-apps';
import { errors, type Oidc } from './library';

/**
 * Which protocol features the provider offers: the one place to switch one on or off. `deviceFlow`
 * stays off: the CLI's device login (issue 28) is built on /api/v1/auth/token, since a developer's CLI
 * needs a first-party session and the JWTs the other services verify, not a cat's opaque tokens
 * (docs/developer-credentials.md).
 *
 * Off, and why: devInteractions (our own pages), clientCredentials (service tokens come from
 * POST /api/v1/auth/token), resourceIndicators (a cat's access token is opaque and for Cat House
 * itself: resource servers introspect it), registrationManagement (clients change through the
 * developer API), clientIdMetadataDocument (experimental in the library, and a client known only by
 * a URL belongs to no cat, so no consent could be bound to an installation).
 */
export function providerFeatures(dataSource: DataSource): Oidc.Configuration['features'] {
  return {
    devInteractions: { enabled: false },
    deviceFlow: { enabled: false },
    clientCredentials: { enabled: false },
    resourceIndicators: { enabled: false },
    userinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    revocation: {
      enabled: true,
      /**
       * RFC 7009 §2.1: a client revokes only its own tokens. A public client asking about another's
       * gets the same 200 as success (nothing to learn by guessing); a confidential one an error.
       */
      async allowedPolicy(_ctx, client, token) {
        if (token.clientId === client.clientId) return true;
        if (client.clientAuthMethod === 'none') return false;
        throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
      },
    },
    introspection: {
      enabled: true,
      /**
       * RFC 7662 §4: who may introspect, and whether the token is active now. The token's own client
       * may; so may a Cat House resource server (a client of no cat, made by an admin). Either way a
       * token whose consent is revoked, or whose installation is paused, uninstalled or of an
       * unpublished cat, is inactive at once; an active one answers with the installation and the
       * permissions it carries now (granted at consent AND still granted by the installation).
       */
      async allowedPolicy(_ctx, client, token) {
        const resourceServer = !client[CAT_ID_METADATA];
        if (client.clientId !== token.clientId && !resourceServer) return false;
        const grantId = (token as { grantId?: string }).grantId;
        if (!grantId) return true;
        const access = await grantAccess(dataSource, grantId);
        if (!access.ok) return false;
        // The library spreads `extra` into the response after this policy: the claims are read now.
        const introspected = token as { extra?: Record<string, unknown> };
        introspected.extra = {
          ...introspected.extra,
          installation_id: access.installation.installationId,
          cat_id: access.installation.catId,
          perms: access.perms,
        };
        return true;
      },
    },
    registration: {
      enabled: true,
      // RFC 7591 with an initial access token that names the cat (npm run admin -- oidc token, or
      // POST /api/v1/auth/oidc/initial-access-tokens); nobody registers without one.
      initialAccessToken: true,
      policies: registrationPolicies(dataSource),
      issueRegistrationAccessToken: false,
    },
  };
}
