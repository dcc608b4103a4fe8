import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as OAuth from 'oauth4webapi' with { 'resolution-mode': 'import' };
import { ACCESS_TOKEN_TYPE_URN, TOKEN_EXCHANGE_GRANT } from '../../src/auth/tokens/token-exchange';
import { revokeServiceClient } from '../../src/auth/tokens/service-clients';
import { useTestApp } from '../support/app';
import { register, uniqueEmail } from './helpers';
import { createCat, install, serviceClient } from './installations';

/**
 * Every error of every grant at /token, read by oauth4webapi (panva's OAuth 2.0 client, strict: it
 * refuses a token endpoint error that is not application/json with `error`, and reads 401
 * challenges from WWW-Authenticate), never by our own parser. RFC 6749 §5.2, RFC 8693 §2.2.2.
 */
const PASSWORD = 'correct horse battery staple';

describe('token endpoint errors as an OAuth 2.0 client library reads them', () => {
  const t = useTestApp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', CLIENT_AUTH_MAX_FAILURES: '3' });
  let oauth: typeof OAuth;
  let server: Server;
  let as: OAuth.AuthorizationServer;
  let tokenUrl: string;
  const insecure = () => ({ [oauth.allowInsecureRequests]: true }) as const;

  beforeAll(async () => {
    oauth = await import('oauth4webapi');
    server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    tokenUrl = `${base}/api/v1/auth/token`;
    as = { issuer: t.config.auth.issuer, token_endpoint: tokenUrl };
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  interface ReadError {
    status: number;
    error: string | undefined;
    description?: string | undefined;
    challenge?: string;
  }

  /** The error as the library reports it: a ResponseBodyError, or a WWW-Authenticate challenge (401). */
  async function readError(response: Response, process: (r: Response) => Promise<unknown>): Promise<ReadError> {
    // Every error answer is JSON and never cached, like the successes (RFC 6749 §5.1, §5.2).
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    try {
      await process(response);
    } catch (err) {
      if (err instanceof oauth.ResponseBodyError) return { status: err.status, error: err.error, description: err.error_description };
      if (err instanceof oauth.WWWAuthenticateChallengeError) {
        const [challenge] = err.cause;
        return { status: err.status, error: challenge?.parameters.error, challenge: challenge?.scheme };
      }
      throw err;
    }
    throw new Error(`expected an error, got ${response.status}`);
  }

  const passwordGrant = (params: Record<string, string>) =>
    oauth.genericTokenEndpointRequest(as, { client_id: 'cathouse-web' }, oauth.None(), 'password', new URLSearchParams(params), insecure());
  const processGeneric = (r: Response) => oauth.processGenericTokenEndpointResponse(as, { client_id: 'cathouse-web' }, r);

  describe('password grant', () => {
    it('succeeds, and the library accepts the token response', async () => {
      const email = uniqueEmail('oauth');
      await register(t.app, email);
      const res = await processGeneric(await passwordGrant({ username: email, password: PASSWORD }));
      expect(res.token_type).toBe('bearer');
      expect(typeof res.refresh_token).toBe('string');
    });

    it('a wrong password is 400 invalid_grant (not 401 invalid_credentials)', async () => {
      const email = uniqueEmail('oauth');
      await register(t.app, email);
      expect(await readError(await passwordGrant({ username: email, password: 'wrong wrong' }), processGeneric)).toMatchObject({ status: 400, error: 'invalid_grant' });
    });

    it('an unknown user is 400 invalid_grant, the same answer', async () => {
      expect(await readError(await passwordGrant({ username: uniqueEmail('nobody'), password: PASSWORD }), processGeneric)).toMatchObject({ status: 400, error: 'invalid_grant' });
    });

    it('a deactivated account is 400 invalid_grant', async () => {
      const email = uniqueEmail('oauth-off');
      const { user } = await register(t.app, email);
      await t.dataSource.query(`UPDATE auth.users SET is_active = false WHERE id = $1`, [user.id]);
      expect(await readError(await passwordGrant({ username: email, password: PASSWORD }), processGeneric)).toMatchObject({ status: 400, error: 'invalid_grant' });
    });

    it('a missing password or an unknown parameter is 400 invalid_request', async () => {
      expect(await readError(await passwordGrant({ username: uniqueEmail() }), processGeneric)).toMatchObject({ status: 400, error: 'invalid_request' });
      expect(await readError(await passwordGrant({ username: uniqueEmail(), password: PASSWORD, admin: 'true' }), processGeneric)).toMatchObject({ status: 400, error: 'invalid_request' });
    });

    it('too many failures is 429 with Retry-After and the extension code rate_limited', async () => {
      const email = uniqueEmail('oauth-throttle');
      await register(t.app, email);
      for (let i = 0; i < 3; i++) await passwordGrant({ username: email, password: 'wrong wrong' });
      const response = await passwordGrant({ username: email, password: 'wrong wrong' });
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await readError(response, processGeneric)).toMatchObject({ status: 429, error: 'rate_limited' });
    });
  });

  describe('refresh_token grant', () => {
    const refresh = (token: string) => oauth.refreshTokenGrantRequest(as, { client_id: 'cathouse-web' }, oauth.None(), token, insecure());
    const processRefresh = (r: Response) => oauth.processRefreshTokenResponse(as, { client_id: 'cathouse-web' }, r);

    it('succeeds through the library', async () => {
      const { refresh_token } = await register(t.app, uniqueEmail('oauth-rt'));
      expect((await processRefresh(await refresh(refresh_token))).refresh_token).not.toBe(refresh_token);
    });

    it('an unknown, a reused and a revoked refresh token are 400 invalid_grant', async () => {
      expect(await readError(await refresh('B'.repeat(43)), processRefresh)).toMatchObject({ status: 400, error: 'invalid_grant' });
      const { refresh_token } = await register(t.app, uniqueEmail('oauth-rt'));
      await t.dataSource.query(`UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'logout'`);
      expect(await readError(await refresh(refresh_token), processRefresh)).toMatchObject({ status: 400, error: 'invalid_grant' });
    });

    it('a missing refresh_token is 400 invalid_request', async () => {
      const response = await oauth.genericTokenEndpointRequest(as, { client_id: 'x' }, oauth.None(), 'refresh_token', new URLSearchParams(), insecure());
      expect(await readError(response, processGeneric)).toMatchObject({ status: 400, error: 'invalid_request' });
    });
  });

  it('an unknown grant type is 400 unsupported_grant_type', async () => {
    const response = await oauth.genericTokenEndpointRequest(as, { client_id: 'x' }, oauth.None(), 'authorization_code', new URLSearchParams({ code: 'x' }), insecure());
    expect(await readError(response, processGeneric)).toMatchObject({ status: 400, error: 'unsupported_grant_type' });
  });

  it('a body that is neither form nor JSON is invalid_request (415), still RFC 6749 JSON', async () => {
    const response = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'grant_type=password' });
    expect(await readError(response, processGeneric)).toMatchObject({ status: 415, error: 'invalid_request' });
  });

  it('broken JSON is invalid_request (400), and a GET is invalid_request (405)', async () => {
    const broken = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":' });
    expect(await readError(broken, processGeneric)).toMatchObject({ status: 400, error: 'invalid_request' });
    const get = await fetch(tokenUrl);
    expect(await readError(get, processGeneric)).toMatchObject({ status: 405, error: 'invalid_request' });
  });

  describe('client_credentials grant', () => {
    let secret: string;
    beforeAll(async () => {
      secret = (await serviceClient(t.dataSource, 'catalog', ['users:read', 'installations:read'])).clientSecret;
    });
    const cc = (auth: OAuth.ClientAuth, clientId = 'catalog', params: Record<string, string> = {}) =>
      oauth.clientCredentialsGrantRequest(as, { client_id: clientId }, auth, new URLSearchParams(params), insecure());
    const processCc = (clientId = 'catalog') => (r: Response) => oauth.processClientCredentialsResponse(as, { client_id: clientId }, r);

    it('succeeds with client_secret_basic and with client_secret_post', async () => {
      for (const auth of [oauth.ClientSecretBasic(secret), oauth.ClientSecretPost(secret)]) {
        const res = await processCc()(await cc(auth));
        expect(res.scope).toBe('users:read installations:read');
        expect(res.refresh_token).toBeUndefined();
      }
    });

    it('a wrong secret is 401 invalid_client with a Basic challenge, by Basic and by post', async () => {
      for (const auth of [oauth.ClientSecretBasic('chs_wrong'), oauth.ClientSecretPost('chs_wrong')]) {
        expect(await readError(await cc(auth), processCc())).toEqual({ status: 401, error: 'invalid_client', challenge: 'basic' });
      }
    });

    it('an unknown client, a revoked client and no client authentication are 401 invalid_client', async () => {
      expect(await readError(await cc(oauth.ClientSecretBasic(secret), 'nosuch'), processCc('nosuch'))).toMatchObject({ status: 401, error: 'invalid_client' });
      const revoked = await serviceClient(t.dataSource, 'gone', ['users:read']);
      await revokeServiceClient(t.dataSource, 'gone');
      expect(await readError(await cc(oauth.ClientSecretPost(revoked.clientSecret), 'gone'), processCc('gone'))).toMatchObject({ status: 401, error: 'invalid_client' });
      expect(await readError(await cc(oauth.None()), processCc())).toMatchObject({ status: 401, error: 'invalid_client' });
    });

    it('a scope the client does not hold is 400 invalid_scope', async () => {
      expect(await readError(await cc(oauth.ClientSecretBasic(secret), 'catalog', { scope: 'users:read users:write' }), processCc())).toMatchObject({ status: 400, error: 'invalid_scope' });
    });

    it('wrong secrets are throttled: 429 rate_limited with Retry-After, even for the right secret from that address', async () => {
      const victim = await serviceClient(t.dataSource, 'throttled', ['users:read']);
      for (let i = 0; i < 3; i++) expect((await cc(oauth.ClientSecretBasic('chs_guess'), 'throttled')).status).toBe(401);
      const limited = await cc(oauth.ClientSecretBasic(victim.clientSecret), 'throttled');
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await readError(limited, processCc('throttled'))).toMatchObject({ status: 429, error: 'rate_limited' });
    });
  });

  describe('token exchange grant', () => {
    let proxySecret: string;
    let catalogSecret: string;
    let user: { access_token: string; user: { id: string } };
    let installationId: string;
    beforeAll(async () => {
      proxySecret = (await serviceClient(t.dataSource, 'proxy', ['installations:exchange'])).clientSecret;
      catalogSecret = (await serviceClient(t.dataSource, 'catalog2', ['users:read'])).clientSecret;
      user = await register(t.app, uniqueEmail('oauth-tx'));
      const developer = await register(t.app, uniqueEmail('oauth-dev'), PASSWORD, { role: 'developer' });
      installationId = await install(t.dataSource, user.user.id, await createCat(t.dataSource, developer.user.id));
    });
    const exchange = (params: Record<string, string>, auth: OAuth.ClientAuth = oauth.ClientSecretBasic(proxySecret), clientId = 'proxy') =>
      oauth.genericTokenEndpointRequest(
        as,
        { client_id: clientId },
        auth,
        TOKEN_EXCHANGE_GRANT,
        new URLSearchParams({ subject_token: user.access_token, subject_token_type: ACCESS_TOKEN_TYPE_URN, installation_id: installationId, ...params }),
        insecure(),
      );
    const processTx = (clientId = 'proxy') => (r: Response) => oauth.processGenericTokenEndpointResponse(as, { client_id: clientId }, r);

    it('succeeds through the library', async () => {
      const res = await processTx()(await exchange({}));
      expect(res.issued_token_type).toBe(ACCESS_TOKEN_TYPE_URN);
    });

    it('a client without the exchange scope is 400 unauthorized_client; a wrong secret 401 invalid_client', async () => {
      expect(await readError(await exchange({}, oauth.ClientSecretPost(catalogSecret), 'catalog2'), processTx('catalog2'))).toMatchObject({ status: 400, error: 'unauthorized_client' });
      expect(await readError(await exchange({}, oauth.ClientSecretBasic('chs_nope')), processTx())).toMatchObject({ status: 401, error: 'invalid_client' });
    });

    it('a subject token that is not a live user access token is 400 invalid_request (RFC 8693 §2.2.2)', async () => {
      const service = await processTx('catalog2')(
        await oauth.clientCredentialsGrantRequest(as, { client_id: 'catalog2' }, oauth.ClientSecretBasic(catalogSecret), new URLSearchParams(), insecure()),
      );
      for (const subject_token of ['not-a-jwt', service.access_token]) {
        expect(await readError(await exchange({ subject_token }), processTx())).toMatchObject({ status: 400, error: 'invalid_request' });
      }
      expect(await readError(await exchange({ subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }), processTx())).toMatchObject({ status: 400, error: 'invalid_request' });
      expect(await readError(await exchange({ installation_id: '' }), processTx())).toMatchObject({ status: 400, error: 'invalid_request' });
    });

    it('an installation that is unknown, not the subject\'s or for another audience is 400 invalid_target', async () => {
      const other = await register(t.app, uniqueEmail('oauth-other'));
      const cat = await createCat(t.dataSource, other.user.id);
      const theirs = await install(t.dataSource, other.user.id, cat);
      for (const params of <Record<string, string>[]>[
        { installation_id: theirs },
        { installation_id: '00000000-0000-4000-8000-000000000000' },
        { installation_id: 'x' },
        { audience: `cat:${cat}` },
      ]) {
        expect(await readError(await exchange(params), processTx())).toMatchObject({ status: 400, error: 'invalid_target' });
      }
    });
  });
});
