import type { KeyObject } from 'node:crypto';
import express, { type Express } from 'express';
import { jose } from '../../src/auth/federation/jose-library';
import type { Oidc } from '../../src/auth/oidc/library';

export const APPLE_CLIENT_ID = 'com.cathouse.web';
/** The secret oidc-provider knows the "apple" client by, once the stand-in has checked the posted JWT. */
const APPLE_STATIC_SECRET = 'apple-stand-in-static-secret-never-sent-by-the-service';

/** What the stand-in checks the posted client secret against, as Apple does with the key registered for the team. */
export interface AppleClientCheck {
  redirectUri: string;
  teamId: string;
  keyId: string;
  publicKey: KeyObject;
}

/** Sign in with Apple's web client, registered at the stand-in (client_secret_post; its posted secret is checked below first). */
export function appleClient(check: AppleClientCheck): Oidc.ClientMetadata {
  return {
    client_id: APPLE_CLIENT_ID,
    client_secret: APPLE_STATIC_SECRET,
    token_endpoint_auth_method: 'client_secret_post',
    redirect_uris: [check.redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  };
}

/** Apple's name of a first sign-in: the login with a capital, "Appleseed". */
export const appleName = (login: string) => ({ firstName: login.charAt(0).toUpperCase() + login.slice(1), lastName: 'Appleseed' });

/**
 * Sign in with Apple's rules, in front of oidc-provider (mounted on `outer`, which then hands
 * every request to the provider):
 * - the authorization endpoint refuses the "apple" client a name or email scope unless
 *   response_mode=form_post (Apple shows an error page, nothing goes back to the client);
 * - the token endpoint takes the "apple" client's client_secret only as an ES256 JWT with the
 *   registered key id, signed by the team's key, iss = team id, sub = client id, aud = this
 *   issuer, unexpired (400 invalid_client otherwise), then gives oidc-provider the static secret;
 * - the first form_post to each account carries Apple's `user` field with the name (never again).
 * Returns the refused client secrets' reasons (jose's error code, and the claim for a wrong claim).
 */
export function appleRules(outer: Express, provider: Oidc.Provider, issuer: string, check: AppleClientCheck): string[] {
  const refusals: string[] = [];
  outer.get('/auth', (req, res, next) => {
    const scope = String(req.query.scope ?? '').split(' ');
    if (req.query.client_id === APPLE_CLIENT_ID && req.query.response_mode !== 'form_post' && (scope.includes('name') || scope.includes('email'))) {
      return void res.status(400).type('text').send('invalid_request: response_mode must be form_post when name or email scope is requested');
    }
    next();
  });
  outer.post('/token', express.urlencoded({ extended: false }), async (req, res, next) => {
    const body = req.body as Record<string, string | undefined>;
    if (body.client_id !== APPLE_CLIENT_ID) return next();
    try {
      const { protectedHeader } = await jose.jwtVerify(body.client_secret ?? '', check.publicKey, {
        algorithms: ['ES256'],
        issuer: check.teamId,
        subject: APPLE_CLIENT_ID,
        audience: issuer,
        requiredClaims: ['iat', 'exp'],
      });
      if (protectedHeader.kid !== check.keyId) throw new Error('unknown kid');
    } catch (err) {
      const { code, claim } = err as { code?: string; claim?: string };
      refusals.push(claim ? `${code} ${claim}` : (code ?? (err as Error).message));
      return void res.status(400).json({ error: 'invalid_client' });
    }
    body.client_secret = APPLE_STATIC_SECRET;
    next();
  });
  const named = new Set<string>();
  provider.use(async (ctx, next) => {
    await next();
    const accountId = ctx.oidc?.session?.accountId;
    if (ctx.oidc?.client?.clientId !== APPLE_CLIENT_ID || !accountId || typeof ctx.body !== 'string' || !ctx.body.includes('name="code"') || named.has(accountId)) return;
    named.add(accountId);
    const user = JSON.stringify({ name: appleName(accountId), email: `${accountId}@players.example` }).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    ctx.body = ctx.body.replace('<input type="hidden" name="code"', `<input type="hidden" name="user" value="${user}"/>\n<input type="hidden" name="code"`);
  });
  return refusals;
}
