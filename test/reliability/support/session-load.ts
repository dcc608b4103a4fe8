import { auth, tokensOf, type Tokens } from './auth-http';
import type { Fleet } from './fleet';
import { sleep } from './service-process';
import { timedFetch } from './traffic';

/**
 * Signed-in users working through whichever instance the balancer picks, until `done()`: mostly
 * GET /me, a refresh every tenth request (the token rotates, so a refused refresh is a sign-out),
 * a login every twentieth, a forgot-password every twenty-fifth (mail through the outbox). Nothing
 * is retried: every answer other than the expected one counts.
 */
export interface LoadResult {
  sent: number;
  failed: number;
  /** Refreshes refused with invalid_grant: @cathouse/auth-browser signs the user out on those. */
  signOuts: number;
  refreshes: number;
  logins: number;
  forgot: number;
  /** The first few failures, for the report. */
  failures: string[];
}

export interface LoadUser {
  email: string;
  password: string;
  tokens: Tokens;
}

export async function signUpUsers(fleet: Fleet, count: number, tag: string): Promise<LoadUser[]> {
  const users: LoadUser[] = [];
  for (let i = 0; i < count; i++) {
    const email = `${tag}-${i}-${Date.now()}@cathouse.example`;
    const password = 'correct horse battery staple';
    users.push({ email, password, tokens: tokensOf(await auth.register(fleet.pick(), email, password)) });
  }
  return users;
}

export async function runSessionLoad(fleet: Fleet, users: LoadUser[], done: () => boolean, pauseMs = 10): Promise<LoadResult> {
  const result: LoadResult = { sent: 0, failed: 0, signOuts: 0, refreshes: 0, logins: 0, forgot: 0, failures: [] };
  const fail = (what: string) => {
    result.failed++;
    if (result.failures.length < 10) result.failures.push(what);
  };
  const loop = async (user: LoadUser) => {
    for (let i = 0; !done(); i++) {
      const url = fleet.pick();
      result.sent++;
      try {
        if (i % 10 === 9) {
          result.refreshes++;
          const answer = await auth.refresh(url, user.tokens.refresh_token);
          if (answer.status === 200) user.tokens = tokensOf(answer);
          else if (answer.json?.error === 'invalid_grant') result.signOuts++;
          else fail(`refresh ${answer.status} ${answer.body.slice(0, 120)}`);
        } else if (i % 20 === 7) {
          result.logins++;
          const answer = await auth.login(url, user.email, user.password);
          if (answer.status !== 200) fail(`login ${answer.status} ${answer.body.slice(0, 120)}`);
        } else if (i % 25 === 5) {
          result.forgot++;
          const answer = await timedFetch(`${url}/api/v1/auth/password/forgot`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: user.email }),
            timeoutMs: 15_000,
          });
          if (answer.status !== 202) fail(`forgot ${answer.status} ${answer.body.slice(0, 120)}`);
        } else {
          const answer = await auth.me(url, user.tokens.access_token);
          if (answer.status !== 200) fail(`me ${answer.status} ${answer.body.slice(0, 120)}`);
        }
      } catch (err) {
        fail(`${url}: ${(err as Error).message} ${String((err as Error).cause ?? '')}`);
      }
      await sleep(pauseMs);
    }
  };
  await Promise.all(users.map(loop));
  return result;
}
