import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Provider } from '../../src/auth/oidc/library';
import { appleClient, appleRules, type AppleClientCheck } from './apple-stand-in';

export const REDIRECT_CLIENT_ID = 'cathouse-web';
export const REDIRECT_CLIENT_SECRET = 'a-long-enough-client-secret-for-the-loopback-provider';

/**
 * A real OpenID provider on loopback (oidc-provider, OpenID-certified) in place of any provider a
 * deployment configures by issuer URL: discovery, authorization code with PKCE, signed ID tokens.
 * Its development login form takes any login name; the account's address is `<login>@players.example`,
 * verified. A user who cancels is its development form's abort (error=access_denied on the callback).
 * With `apple`, it also registers Sign in with Apple's web client and keeps Apple's rules for it
 * (apple-stand-in.ts): form_post, the ES256 client secret, the name posted on the first sign-in.
 */
export class RedirectProvider {
  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    /** Why the "apple" client's posted secrets were refused (invalid_client), in order. */
    readonly appleRefusals: readonly string[] = [],
  ) {}

  static async start(redirectUri: string, { apple }: { apple?: AppleClientCheck } = {}): Promise<RedirectProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const provider = new Provider(issuer, {
      clients: [
        { client_id: REDIRECT_CLIENT_ID, client_secret: REDIRECT_CLIENT_SECRET, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'] },
        ...(apple ? [appleClient(apple)] : []),
      ],
      // Apple's `name` scope puts nothing in the ID token: Apple posts the name beside the code instead.
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], ...(apple ? { name: [] } : {}) },
      // The claims of the scopes in the ID token itself, as Google and most providers send them.
      conformIdTokenClaims: false,
      pkce: { required: () => true },
      findAccount: (_ctx, id) => ({
        accountId: id,
        claims: () => ({ sub: id, email: `${id}@players.example`, email_verified: true, name: `Player ${id}` }),
      }),
      cookies: { keys: ['loopback-provider-cookie-key'] },
      ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    });
    if (!apple) {
      server.on('request', provider.callback());
      return new RedirectProvider(server, issuer);
    }
    const outer = express();
    const refusals = appleRules(outer, provider, issuer, apple);
    outer.use(provider.callback());
    server.on('request', outer);
    return new RedirectProvider(server, issuer, refusals);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
