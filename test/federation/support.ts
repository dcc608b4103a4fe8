import type { Express } from 'express';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { StandInProvider } from './stand-in-provider';

export const APPLE_CLIENT = 'com.cathouse.app';
export const APPLE_WEB_CLIENT = 'com.cathouse.web';
export const GOOGLE_WEB_CLIENT = '1234-web.apps.googleusercontent.example';
export const GOOGLE_ANDROID_CLIENT = '1234-android.apps.googleusercontent.example';

export interface FederationTestbed {
  apple: StandInProvider;
  google: StandInProvider;
  app: TestApp;
}

/** The configuration that points Apple and Google at the stand-in providers (with the test clients above). */
export function federationEnv(apple: StandInProvider, google: StandInProvider): Record<string, string> {
  return {
    APPLE_CLIENT_IDS: `${APPLE_CLIENT},${APPLE_WEB_CLIENT}`,
    APPLE_ISSUER: apple.issuer,
    APPLE_JWKS_URI: apple.jwksUri,
    GOOGLE_CLIENT_IDS: `${GOOGLE_WEB_CLIENT},${GOOGLE_ANDROID_CLIENT}`,
    GOOGLE_ISSUER: google.issuer,
    GOOGLE_JWKS_URI: google.jwksUri,
  };
}

/**
 * The real app on a migrated database of its own, with Apple and Google pointed at stand-in
 * providers on loopback (real HTTP JWKS, real signed tokens). Read the fields inside tests.
 */
export function useFederationTestbed(env: Record<string, string> = {}, { factorClock }: { factorClock?: () => number } = {}): FederationTestbed {
  let db: TestDatabase | undefined;
  const bed: Partial<FederationTestbed> = {};
  beforeAll(async () => {
    bed.apple = await StandInProvider.start('apple');
    bed.google = await StandInProvider.start('google');
    db = await createTestDatabase();
    bed.app = await startTestApp(db.url, { ...federationEnv(bed.apple, bed.google), ...env }, { factorClock });
  });
  afterAll(async () => {
    await bed.app?.close();
    await db?.drop();
    await bed.apple?.close();
    await bed.google?.close();
  });
  return bed as FederationTestbed;
}

/** The value of one series (`name{labels}`, as printed) in the app's /metrics; 0 when absent. Tests compare before and after. */
export async function metricValue(app: Express, series: string): Promise<number> {
  const res = await request(app).get('/metrics');
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const line = res.text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** The sign-in counters a provider's sign-in and a password login move, read together. */
export async function signInCounts(app: Express, method: 'id_token' | 'redirect', provider: string): Promise<{ provider: number; password: number }> {
  return {
    provider: await metricValue(app, `auth_sign_ins_total{method="${method}",provider="${provider}"}`),
    password: await metricValue(app, 'auth_login_attempts_total{outcome="succeeded"}'),
  };
}

/** The detail of the login_succeeded event of `sessionId`. */
export async function loginSucceededDetail(dataSource: DataSource, sessionId: string): Promise<unknown> {
  const rows: { detail: unknown }[] = await dataSource.query(`SELECT detail FROM auth.audit_events WHERE type = 'login_succeeded' AND session_id = $1`, [sessionId]);
  if (rows.length !== 1) throw new Error(`expected one login_succeeded of session ${sessionId}, found ${rows.length}`);
  return rows[0]!.detail;
}
