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
    bed.app = await startTestApp(db.url, {
      APPLE_CLIENT_IDS: `${APPLE_CLIENT},${APPLE_WEB_CLIENT}`,
      APPLE_ISSUER: bed.apple.issuer,
      APPLE_JWKS_URI: bed.apple.jwksUri,
      GOOGLE_CLIENT_IDS: `${GOOGLE_WEB_CLIENT},${GOOGLE_ANDROID_CLIENT}`,
      GOOGLE_ISSUER: bed.google.issuer,
      GOOGLE_JWKS_URI: bed.google.jwksUri,
      ...env,
    }, { factorClock });
  });
  afterAll(async () => {
    await bed.app?.close();
    await db?.drop();
    await bed.apple?.close();
    await bed.google?.close();
  });
  return bed as FederationTestbed;
}
