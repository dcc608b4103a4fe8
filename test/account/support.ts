import jwt from 'jsonwebtoken';
import request from 'supertest';
import type { PasswordHasher } from '../../src/auth/accounts/passwords';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

export const PASSWORD = 'correct horse battery staple';
export const APP_URL = 'https://app.cathouse.example';

export interface MailApp {
  readonly t: TestApp;
  readonly smtp: TestSmtpServer;
}

/**
 * Gives the enclosing describe its own database, a real SMTP server, and one app whose mail
 * sender delivers to it (polling fast, so tests wait milliseconds for mail, not seconds).
 */
export function useMailApp(env: Record<string, string> = {}, options: { hasher?: PasswordHasher } = {}): MailApp {
  let db: TestDatabase | undefined;
  let t: TestApp | undefined;
  let smtp: TestSmtpServer | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await startSmtpServer();
    t = await startTestApp(db.url, { SMTP_URL: smtp.url, APP_URL, MAIL_POLL_INTERVAL_MS: '100', ...env }, { mail: true, ...options });
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
  };
}

export const api = (path: string) => `/api/v1/auth${path}`;

export function claims(accessToken: string): Record<string, unknown> {
  return jwt.decode(accessToken) as Record<string, unknown>;
}

export async function login(m: MailApp, email: string, password = PASSWORD) {
  return request(m.t.app).post(api('/login')).send({ email, password });
}

/** Registers and verifies through the mailed link; returns the registration's token response. */
export async function registerVerified(m: MailApp, email: string) {
  const reg = await request(m.t.app).post(api('/register')).send({ email, password: PASSWORD });
  if (reg.status !== 201) throw new Error(`register answered ${reg.status}`);
  const mail = await m.smtp.waitFor(email, /Confirm your email/);
  const verified = await request(m.t.app).post(api('/verify-email')).send({ token: mail.token });
  if (verified.status !== 200) throw new Error(`verify-email answered ${verified.status}`);
  return reg.body as { access_token: string; refresh_token: string; user: { id: string } };
}

export async function auditTypes(m: MailApp, userId: string): Promise<string[]> {
  const rows: { type: string }[] = await m.t.dataSource.query(`SELECT type FROM auth.audit_events WHERE user_id = $1 ORDER BY id`, [userId]);
  return rows.map((r) => r.type);
}
