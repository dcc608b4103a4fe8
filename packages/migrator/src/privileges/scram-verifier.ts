import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * The SCRAM-SHA-256 verifier of a password (RFC 5802, RFC 7677) as PostgreSQL stores it in
 * pg_authid.rolpassword: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, all base64.
 * `CREATE ROLE ... PASSWORD '<verifier>'` stores it as it is (PostgreSQL recognises the format), so
 * the password itself never travels in a statement: it cannot break out of the string literal
 * whatever it holds and however the server reads backslashes (standard_conforming_strings), and it
 * never reaches a statement log. The verifier holds only [A-Za-z0-9+/=:$-].
 *
 * The password is prepared as node-postgres and libpq prepare it before hashing (SASLprep's three
 * steps that change bytes: non-ASCII spaces to U+0020, the "mapped to nothing" characters dropped,
 * NFKC), so the role logs in with the same password through either client.
 */
export function scramSha256Verifier(password: string, { iterations = 4096, salt = randomBytes(16) }: { iterations?: number; salt?: Buffer } = {}): string {
  const prepared = password
    .replace(/[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g, ' ')
    // eslint-disable-next-line no-misleading-character-class
    .replace(/[\u00AD\u034F\u1806\u180B\u180C\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g, '')
    .normalize('NFKC');
  const salted = pbkdf2Sync(Buffer.from(prepared, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
