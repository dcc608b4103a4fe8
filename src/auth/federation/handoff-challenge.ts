import { createHash } from 'node:crypto';
import { AppError } from '../../errors/app-error';

// The PKCE binding of the redirect flow's handoff code (RFC 8252 native apps), moved out of
// redirect-sign-in.ts to keep that file to the flow itself.

/** A native app's return URL (a private-use scheme, not http/https): another app may claim its scheme. */
export function isAppReturnUrl(url: string): boolean {
  return !/^https?:/i.test(url);
}

/** RFC 7636 §4.1–4.2: a verifier is 43–128 unreserved characters; S256's challenge is 43 base64url characters. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * The app's PKCE pair for our handoff code (RFC 7636, RFC 8252 §8.1): the code reaches whatever
 * app answers the return URL's scheme, so only the app holding the verifier can spend it. S256
 * only (`plain` would hand the secret to the same interceptor); required for a native app's
 * return URL, optional on the web, where it still makes a leaked code (history, logs) useless.
 */
export function codeChallengeFor(returnTo: string, challenge: string | undefined, method: string | undefined): string | undefined {
  if (challenge === undefined && method === undefined) {
    if (isAppReturnUrl(returnTo)) throw new AppError('code_challenge_required', 'A native app\'s return URL needs code_challenge (S256 of a random code_verifier) and code_challenge_method=S256.');
    return undefined;
  }
  if (method !== 'S256') throw new AppError('invalid_request', 'code_challenge_method must be S256 (plain is refused).');
  if (!challenge || !CHALLENGE.test(challenge)) throw new AppError('invalid_request', 'code_challenge must be the base64url SHA-256 of the code_verifier (43 characters).');
  return challenge;
}

/** Whether `verifier` is the one `challenge` was made from (S256). */
export function verifies(challenge: string, verifier: string | undefined): boolean {
  return verifier !== undefined && VERIFIER.test(verifier) && createHash('sha256').update(verifier, 'ascii').digest('base64url') === challenge;
}
