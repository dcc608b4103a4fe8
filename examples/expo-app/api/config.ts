import Constants from 'expo-constants';

// Where the Cat House API lives. EXPO_PUBLIC_ variables are written into the bundle when it is built
// (`EXPO_PUBLIC_API_URL=... npx expo export`); app.json's `extra` is where the frontend looks too.
export const API_URL: string =
  process.env.EXPO_PUBLIC_API_URL ?? (Constants.expoConfig?.extra?.EXPO_PUBLIC_API_URL as string | undefined) ?? 'http://localhost:3000';

/** The auth service's API: every auth path of the frontend is under it. */
export const AUTH_URL = `${API_URL}/api/v1/auth`;
