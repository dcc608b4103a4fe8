import request from 'supertest';
import type { Express } from 'express';
import type { TestApp } from '../support/app';

/** Registers a user through the API and returns the token response body (with `user`). */
export async function register(
  app: Express,
  email: string,
  password = 'correct horse battery staple',
  extra: Record<string, unknown> = {},
) {
  const res = await request(app).post('/api/v1/auth/register').send({ email, password, ...extra });
  if (res.status !== 201) throw new Error(`register ${email} answered ${res.status}: ${res.text}`);
  return res.body as { access_token: string; refresh_token: string; expires_in: number; user: { id: string; role: string } };
}

/**
 * A developer, the way the policy makes one (issue 22 M5): registered asking for the role, the
 * email marked verified in the database (as the mailed link would), then POST me/developer. The
 * returned access token carries the developer role; `user.role` says so too.
 */
export async function registerDeveloper(
  testApp: Pick<TestApp, 'app' | 'dataSource'>,
  email: string,
  password = 'correct horse battery staple',
  extra: Record<string, unknown> = {},
) {
  const reg = await register(testApp.app, email, password, { ...extra, role: 'developer' });
  await testApp.dataSource.query(`UPDATE auth.users SET email_verified_at = now() WHERE id = $1`, [reg.user.id]);
  const res = await request(testApp.app).post('/api/v1/auth/me/developer').set('Authorization', `Bearer ${reg.access_token}`);
  if (res.status !== 200) throw new Error(`me/developer for ${email} answered ${res.status}: ${res.text}`);
  return { ...reg, access_token: res.body.access_token as string, user: { ...reg.user, role: 'developer' } };
}

/** Makes `userId` an admin directly in the database: the API itself never lets anyone self-promote. */
export async function promoteToAdmin(testApp: TestApp, userId: string): Promise<void> {
  await testApp.dataSource.query(`UPDATE auth.users SET role = 'admin' WHERE id = $1`, [userId]);
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

let counter = 0;
/** A unique email per call, so tests in one file never collide. */
export function uniqueEmail(label = 'user'): string {
  counter += 1;
  return `${label}-${counter}-${Date.now().toString(36)}@cathouse.example`;
}
