import { generateKeyPairSync, sign } from 'node:crypto';
import { applySecurityEvent, createRevocationList, createSetVerifier, SetError, type JwksClient, type SecurityEventToken } from '@cathouse/auth-client';

/** The receiver side of issue 29 without a network: the deny-list's rules and bounds, SET checks, applying events. */
describe('revocation list', () => {
  let now = 1_000_000_000;
  const clock = () => now;
  const seconds = () => Math.floor(now / 1000);

  it('a session is refused whatever its iat; a subject only for tokens issued at or before the revocation', () => {
    const list = createRevocationList({ tokenLifetimeSeconds: 900, now: clock });
    list.revokeSession('s1', seconds());
    list.revokeSubject('u2', seconds());
    expect(list.isRevoked({ sub: 'u1', sid: 's1', iat: seconds() + 100 })).toBe(true);
    expect(list.isRevoked({ sub: 'u1', sid: 's2', iat: seconds() })).toBe(false);
    expect(list.isRevoked({ sub: 'u2', sid: 'sX', iat: seconds() })).toBe(true);
    expect(list.isRevoked({ sub: 'u2', sid: 'sX', iat: seconds() + 1 })).toBe(false);
  });

  it('forgets an entry once the tokens it refuses have expired, and stays within maxEntries', () => {
    const list = createRevocationList({ tokenLifetimeSeconds: 900, maxEntries: 3, now: clock });
    list.revokeSession('old', seconds());
    now += 901_000;
    expect(list.isRevoked({ sub: 'u', sid: 'old', iat: 0 })).toBe(false);
    // A revocation older than the lifetime is not even stored.
    list.revokeSession('ancient', seconds() - 1_000);
    expect(list.size).toBe(0);
    for (const sid of ['a', 'b', 'c', 'd']) list.revokeSession(sid, seconds());
    expect(list.size).toBe(3);
    expect(list.isRevoked({ sub: 'u', sid: 'a', iat: 0 })).toBe(false); // the oldest made room
    expect(list.isRevoked({ sub: 'u', sid: 'd', iat: 0 })).toBe(true);
  });

  it('applies CAEP/RISC events by their subject: session, user, client; ignores what does not revoke', () => {
    const list = createRevocationList({ now: clock });
    const set = (uri: string, subId: Record<string, unknown>, event: Record<string, unknown> = {}): SecurityEventToken => ({
      iss: 'https://auth', jti: 'set_1', iat: seconds(), aud: 'svc', sub_id: subId, events: { [uri]: { event_timestamp: seconds(), ...event } },
    });
    const user = (sub: string, iss = 'cathouse-auth') => ({ format: 'iss_sub', iss, sub });
    const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
    const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
    expect(applySecurityEvent(list, set(`${CAEP}session-revoked`, { format: 'complex', user: user('u1'), session: { format: 'opaque', id: 's1' } }), 'cathouse-auth')).toBe('session');
    expect(applySecurityEvent(list, set(`${CAEP}session-revoked`, { format: 'complex', user: user('u2') }), 'cathouse-auth')).toBe('subject');
    expect(applySecurityEvent(list, set(`${RISC}account-purged`, user('u3')), 'cathouse-auth')).toBe('subject');
    expect(applySecurityEvent(list, set(`${CAEP}credential-change`, user('billing'), { credential_type: 'client-secret', change_type: 'revoke' }), 'cathouse-auth')).toBe('subject');
    expect(applySecurityEvent(list, set(`${CAEP}credential-change`, user('u4'), { credential_type: 'password', change_type: 'update' }), 'cathouse-auth')).toBe('none');
    // Another issuer's user is not ours.
    expect(applySecurityEvent(list, set(`${RISC}account-disabled`, user('u5', 'someone-else')), 'cathouse-auth')).toBe('none');
    expect(list.isRevoked({ sub: 'u3', iat: seconds() })).toBe(true);
    expect(list.isRevoked({ sub: 'u5', iat: seconds() })).toBe(false);
  });
});

describe('SET verifier', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks: JwksClient = { getKey: async (kid) => (kid === 'k1' ? publicKey : Promise.reject(new Error('unknown kid'))), fetches: 0 };
  const verifier = createSetVerifier({ jwks, issuer: 'https://auth', audience: 'svc', tokenIssuer: 'cathouse-auth' });
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const signed = (header: object, claims: object) => {
    const input = `${b64(header)}.${b64(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
  const header = { alg: 'ES256', typ: 'secevent+jwt', kid: 'k1' };
  const claims = { iss: 'https://auth', jti: 'set_1', iat: 1, aud: 'svc', sub_id: { format: 'opaque', id: 'x' }, events: { 'urn:e': {} } };

  it('accepts a SET as SSF profiles it, and refuses each deviation with its RFC 8935 code', async () => {
    await expect(verifier.verify(signed(header, claims))).resolves.toMatchObject({ jti: 'set_1' });
    const refused = async (h: object, c: object) => {
      const err = await verifier.verify(signed(h, c)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SetError);
      return (err as SetError).err;
    };
    expect(await refused({ ...header, typ: 'at+jwt' }, claims)).toBe('invalid_request');
    expect(await refused({ ...header, alg: 'HS256' }, claims)).toBe('invalid_key');
    expect(await refused({ ...header, kid: 'k2' }, claims)).toBe('invalid_key');
    expect(await refused(header, { ...claims, iss: 'https://evil' })).toBe('invalid_issuer');
    expect(await refused(header, { ...claims, aud: 'other' })).toBe('invalid_audience');
    expect(await refused(header, { ...claims, exp: 2 })).toBe('invalid_request');
    expect(await refused(header, { ...claims, sub: 'u' })).toBe('invalid_request');
    expect(await refused(header, { ...claims, events: { a: {}, b: {} } })).toBe('invalid_request');
    const tampered = signed(header, claims).slice(0, -4) + 'AAAA';
    await expect(verifier.verify(tampered)).rejects.toMatchObject({ err: 'invalid_key' });
  });
});
