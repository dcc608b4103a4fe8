import { createHmac, randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';
import { AppError } from '../../errors/app-error';

/** NIST SP 800-63B §3.1.1.2: at least 8 characters, long passphrases welcome, no composition rules. */
export const PASSWORD_MIN_CHARACTERS = 8;
export const PASSWORD_MAX_CHARACTERS = 1024;

/**
 * Key of the pre-hash. It is a fixed, public domain-separation string on purpose, not a secret:
 * the pre-hash only exists to get past bcrypt's 72-byte limit, and a secret here would make
 * rotating that secret invalidate every stored password.
 */
const PREHASH_KEY = 'cathouse/password-prehash/v1';

/**
 * Passwords are compared after Unicode NFKC (800-63B §5.1.1.2), so "ﬁ" and "fi", or a full-width
 * and an ASCII digit, are the same password whichever keyboard typed them.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Length in characters (code points, after NFKC), as a person would count them. */
export function passwordLength(password: string): number {
  return [...normalizePassword(password)].length;
}

/** Throws weak_password unless the password meets the policy; composition rules are deliberately absent. */
export function assertPasswordPolicy(password: string): void {
  const length = passwordLength(password);
  if (length < PASSWORD_MIN_CHARACTERS) {
    throw new AppError('weak_password', `The password must have at least ${PASSWORD_MIN_CHARACTERS} characters.`, {
      fields: { invalid_params: [{ name: 'password', reason: `at least ${PASSWORD_MIN_CHARACTERS} characters` }] },
    });
  }
  if (length > PASSWORD_MAX_CHARACTERS) {
    throw new AppError('weak_password', `The password must have at most ${PASSWORD_MAX_CHARACTERS} characters.`, {
      fields: { invalid_params: [{ name: 'password', reason: `at most ${PASSWORD_MAX_CHARACTERS} characters` }] },
    });
  }
}

/**
 * bcrypt reads only the first 72 bytes of its input. HMAC-SHA-256 then base64 turns any password
 * into 44 ASCII bytes without NUL, so every byte of a long passphrase counts.
 */
function prehash(password: string): string {
  return createHmac('sha256', PREHASH_KEY).update(normalizePassword(password), 'utf8').digest('base64');
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Compares in constant work whether or not a stored hash exists (`null` for an unknown account). */
  verify(password: string, storedHash: string | null): Promise<boolean>;
}

/**
 * bcrypt at the given cost through the native module's async API, which runs on libuv's thread
 * pool, so hashing never blocks the event loop.
 */
export function createPasswordHasher(cost: number): PasswordHasher {
  // For an unknown email we still run one bcrypt comparison at the same cost, so a login's
  // timing does not tell whether the account exists.
  // Computed at start-up so that the first unknown-email login is not slower than the others.
  const dummyHash = bcrypt.hash(randomBytes(32).toString('base64'), cost);

  return {
    hash: (password) => bcrypt.hash(prehash(password), cost),
    async verify(password, storedHash) {
      if (storedHash === null) {
        await bcrypt.compare(prehash(password), await dummyHash);
        return false;
      }
      return bcrypt.compare(prehash(password), storedHash);
    },
  };
}
