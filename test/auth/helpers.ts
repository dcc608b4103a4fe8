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
