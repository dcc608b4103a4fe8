import { Secret, TOTP } from 'otpauth';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { bearer, register, uniqueEmail } from '../auth/helpers';

export const PASSWORD = 'correct horse battery staple';
export const api = (path: string) => `/api/v1/auth${path}`;

/** The app's authenticator-app clock: tests move it by whole 30-second steps. */
export interface TestClock {
  now: number;
  step(n?: number): void;
}

export interface FactorApp {
  readonly t: TestApp;
  readonly smtp: TestSmtpServer;
  readonly clock: TestClock;
}

/** Its own database, a real SMTP server, and one app whose TOTP clock the test holds. */
export function useFactorApp(env: Record<string, string> = {}): FactorApp {
  let db: TestDatabase | undefined;
  let t: TestApp | undefined;
  let smtp: TestSmtpServer | undefined;
  // A fixed time at the start of a 30-second step (2026-01-01T00:00:00Z).
  const clock: TestClock = {
    now: Date.UTC(2026, 0, 1),
    step(n = 1) {
      this.now += n * 30_000;
    },
  };
  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await startSmtpServer();
    t = await startTestApp(db.url, { SMTP_URL: smtp.url, APP_URL: 'http://localhost:3000', MAIL_POLL_INTERVAL_MS: '100', ...env }, { mail: true, factorClock: () => clock.now });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
    await db?.drop();
  });
  return {
    get t() {
      return t!;
    },
    get smtp() {
      return smtp!;
    },
    clock,
  };
}

/** The code an authenticator app shows for `secret` (base32) at `timeMs`: computed here, as the app would. */
export function totpCode(secret: string, timeMs: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: timeMs });
}

export async function auditTypes(f: FactorApp, userId: string): Promise<string[]> {
  const rows: { type: string }[] = await f.t.dataSource.query(`SELECT type FROM auth.audit_events WHERE user_id = $1 ORDER BY id`, [userId]);
  return rows.map((r) => r.type);
}

/** A registered user with a confirmed authenticator app: its secret and the recovery codes shown once. */
export async function userWithTotp(f: FactorApp, label = 'totp') {
  const email = uniqueEmail(label);
  const reg = await register(f.t.app, email, PASSWORD);
  const begun = await request(f.t.app).post(api('/me/totp')).set(bearer(reg.access_token));
  if (begun.status !== 201) throw new Error(`POST me/totp answered ${begun.status}: ${begun.text}`);
  const secret = begun.body.secret as string;
  const confirmed = await request(f.t.app).post(api('/me/totp/confirm')).set(bearer(reg.access_token)).send({ code: totpCode(secret, f.clock.now) });
  if (confirmed.status !== 200) throw new Error(`confirm answered ${confirmed.status}: ${confirmed.text}`);
  f.clock.step();
  return { email, reg, secret, recoveryCodes: confirmed.body.recovery_codes as string[] };
}

/** Makes the session's last authentication old, so that step-up rules see a stale factor. */
export async function ageSession(f: FactorApp, sessionId: string): Promise<void> {
  await f.t.dataSource.query(`UPDATE auth.sessions SET auth_time = now() - interval '2 hours', created_at = created_at WHERE id = $1`, [sessionId]);
}
