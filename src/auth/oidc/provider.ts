import type { DataSource } from 'typeorm';
import type { Config } from '../../config/config';
import type { Logger } from '../../logging/logger';
import { recordEvent } from '../audit/audit-events';
import type { AuthKeys } from '../tokens/auth-keys';
import { accountFinder } from './accounts';
import { postgresAdapter } from './adapter';
import { ACR_VALUES } from './authentication-context';
import { grantAccess } from './connected-apps';
import { providerFeatures } from './features';
import { cookieKeys, providerJwks } from './keys';
import { interactionPolicy, Provider, type Oidc } from './library';
import { errorPage } from './pages/error-page';
import { PAGE_CSP } from './pages/layout';
import { loggedOutPage, logoutPage } from './pages/logout-pages';
import type { PageWords } from './pages/page-words';
import { pageWordsFor, setPageLanguage } from './pages/page-language';
import { SCOPE_CLAIMS, SUPPORTED_SCOPES } from './scopes';
import { compareHashedClientSecrets } from './client-secrets';

/**
 * The OpenID provider (issue 27): panva's oidc-provider (OpenID Certified), configured, not forked.
 * The protocol (PKCE S256 only, code reuse, redirect URI matching, token formats, discovery, RFC
 * error codes) is the library's; ours are the storage adapter, the account lookup, the policy that
 * binds consent to installations, the key material and the pages.
 */

export interface OidcProviderDeps {
  config: { oidc: Config['oidc']; http: Pick<Config['http'], 'trustProxy'> };
  dataSource: DataSource;
  keys: AuthKeys;
  logger?: Logger;
  /** The absolute URL of the service's JWKS (/.well-known/jwks.json): discovery names it as jwks_uri. */
  jwksUri: string;
}

export interface OidcProvider {
  provider: Oidc.Provider;
  /** Where the provider is mounted: the issuer's path (`/oidc`). */
  mountPath: string;
}

const INTERACTION_TTL_SECONDS = 600;
const AUTHORIZATION_CODE_TTL_SECONDS = 60;

export function createOidcProvider({ config, dataSource, keys, logger, jwksUri }: OidcProviderDeps): OidcProvider {
  const mountPath = new URL(config.oidc.issuer).pathname.replace(/\/+$/, '');
  const policy = interactionPolicy.base();
  // A consent is bound to an installation: a grant without a live binding (never given, revoked,
  // installation paused or uninstalled) asks the player again, and prompt=none answers consent_required.
  policy.get('consent')!.checks.add(
    new interactionPolicy.Check('installation_binding', 'consent must be bound to an active installation', 'consent_required', async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId);
      if (!grantId) return interactionPolicy.Check.REQUEST_PROMPT;
      const access = await grantAccess(dataSource, grantId);
      return access.ok ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );

  const configuration: Oidc.Configuration = {
    adapter: postgresAdapter(dataSource) as unknown as Oidc.Configuration['adapter'],
    clients: [],
    findAccount: accountFinder(dataSource) as Oidc.FindAccount,
    claims: { ...SCOPE_CLAIMS, acr: null, amr: null, auth_time: null, sid: null },
    scopes: SUPPORTED_SCOPES,
    acrValues: ACR_VALUES,
    responseTypes: ['code'],
    // PKCE for every client; the library accepts S256 only (plain is refused with invalid_request).
    pkce: { required: () => true },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'], clientAuthSigningAlgValues: ['ES256', 'EdDSA', 'RS256', 'PS256'] },
    extraClientMetadata: { properties: ['cathouse_cat_id'] },
    features: {
      ...providerFeatures(dataSource),
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => sendPage(ctx, (w) => logoutPage(form, w)),
        postLogoutSuccessSource: async (ctx) => sendPage(ctx, (w) => loggedOutPage(ctx.oidc.client?.clientName, w)),
      },
    },
    jwks: providerJwks(keys) as Oidc.JWKS,
    cookies: {
      keys: cookieKeys(keys),
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    ttl: {
      AccessToken: config.oidc.accessTokenTtlSeconds,
      AuthorizationCode: AUTHORIZATION_CODE_TTL_SECONDS,
      IdToken: config.oidc.idTokenTtlSeconds,
      Interaction: INTERACTION_TTL_SECONDS,
      Grant: config.oidc.grantTtlSeconds,
      Session: config.oidc.sessionTtlSeconds,
      // Public clients' tokens rotate on every use and never outlive the first (the library's rule).
      RefreshToken: (ctx, token, client) => {
        const rotated = ctx?.oidc?.entities.RotatedRefreshToken;
        if (rotated && client.clientAuthMethod === 'none') return rotated.remainingTTL;
        return config.oidc.refreshTokenTtlSeconds;
      },
    },
    // Refresh tokens rotate on every use for every client: reuse of a rotated one revokes the grant.
    rotateRefreshToken: true,
    interactions: { policy, url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
    renderError: async (ctx, out) => sendPage(ctx, (w) => errorPage(out, w)),
  };

  const provider = new Provider(config.oidc.issuer, configuration);
  compareHashedClientSecrets(provider);
  // Behind TRUST_PROXY the library builds its URLs from X-Forwarded-Proto/Host, as express does.
  provider.proxy = config.http.trustProxy !== undefined;
  provider.use(async (ctx, next) => {
    await next();
    // One key story: the service's JWKS, with the previous public keys of a rotation, not only the current key.
    if (ctx.oidc?.route === 'discovery' && ctx.body && typeof ctx.body === 'object') (ctx.body as Record<string, unknown>).jwks_uri = jwksUri;
  });
  provider.on('grant.error', (ctx: Oidc.KoaContextWithOIDC, error: { error?: string; error_description?: string; error_detail?: string }) => {
    const source = ctx.oidc?.entities?.RefreshToken ?? ctx.oidc?.entities?.AuthorizationCode;
    recordEvent(dataSource, {
      type: 'oidc_token_refused',
      userId: (source as { accountId?: string } | undefined)?.accountId ?? null,
      client: { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined },
      detail: { client_id: ctx.oidc?.client?.clientId ?? null, grant_type: ctx.oidc?.params?.grant_type ?? null, error: error.error ?? 'server_error', reason: error.error_detail ?? error.error_description ?? null },
    }).catch((err: unknown) => logger?.error({ err }, 'could not record oidc_token_refused'));
  });
  provider.on('server_error', (_ctx: unknown, err: Error) => logger?.error({ err }, 'oidc provider error'));
  return { provider, mountPath };
}

/** A page the library asks us to render (error, logout), with the pages' content security policy. */
/** A page of the library's (error, logout) in the request's language (issue 30). */
function sendPage(ctx: Oidc.KoaContextWithOIDC, render: (w: PageWords) => string): void {
  const w = pageWordsFor(ctx);
  const html = render(w);
  setPageLanguage(ctx, w);
  ctx.set('content-security-policy', PAGE_CSP);
  ctx.set('cache-control', 'no-store');
  ctx.type = 'html';
  ctx.body = html;
}
