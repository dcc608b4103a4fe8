import request from 'supertest';
import type { AccessTokenClaims } from '../../src/auth/tokens/access-tokens';
import { VerifiedAccessTokens } from '../../src/auth/tokens/verified-access-tokens';
import { useTestApp } from '../support/app';
import { bearer, register, uniqueEmail } from './helpers';

const claims = (exp: number): AccessTokenClaims => ({ iss: 'i', aud: 'a', sub: 's', sid: 'x', role: 'player', iat: exp - 900, exp, jti: 'j' });

describe('the cache of verified access tokens', () => {
  it('answers for the exact token until its exp, and never after', () => {
    const cache = new VerifiedAccessTokens();
    cache.add('token-a', claims(1_000));
    expect(cache.get('token-a', 999_999)?.sub).toBe('s');
    expect(cache.get('token-a', 1_000_000)).toBeUndefined();
    expect(cache.size).toBe(0);
    cache.add('token-b', claims(1_000));
    expect(cache.get('token-b ', 0)).toBeUndefined();
    expect(cache.get('token-', 0)).toBeUndefined();
  });

  it('is bounded: when full, the oldest entry makes room', () => {
    const cache = new VerifiedAccessTokens(3);
    for (const t of ['t1', 't2', 't3', 't4']) cache.add(t, claims(2_000_000_000));
    expect(cache.size).toBe(3);
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.get('t4')).toBeDefined();
  });

  describe('in the service', () => {
    const t = useTestApp();

    it('a cached token still needs a live session: logout ends it at once', async () => {
      const { access_token } = await register(t.app, uniqueEmail());
      expect((await request(t.app).get('/api/v1/auth/me').set(bearer(access_token))).status).toBe(200);
      expect((await request(t.app).get('/api/v1/auth/me').set(bearer(access_token))).status).toBe(200);
      expect((await request(t.app).post('/api/v1/auth/logout').set(bearer(access_token))).status).toBe(204);
      expect((await request(t.app).get('/api/v1/auth/me').set(bearer(access_token))).status).toBe(401);
    });

    it('a token that differs from a cached one in its signature is verified, and refused', async () => {
      const { access_token } = await register(t.app, uniqueEmail());
      expect((await request(t.app).get('/api/v1/auth/me').set(bearer(access_token))).status).toBe(200);
      const last = access_token.at(-2) === 'A' ? 'B' : 'A';
      const altered = `${access_token.slice(0, -2)}${last}${access_token.at(-1)}`;
      const res = await request(t.app).get('/api/v1/auth/me').set(bearer(altered));
      expect(res.status).toBe(401);
      expect(res.body.code ?? res.body.error).toBe('invalid_token');
    });
  });
});
