import * as SecureStore from 'expo-secure-store';
import { Platform } from 'react-native';

/** The key under which the old persisted store kept `{ token, refreshToken, user }`. */
export const LEGACY_AUTH_KEY = 'auth-storage';

/**
 * Removes the old store's copy of the tokens on the first launch of the new version. Nothing in it
 * can be carried over: the old client read `token`/`refreshToken`, fields this service never
 * sends, so no old copy holds a refresh token of this service. Users sign in once.
 */
export async function removeLegacyAuthStorage(): Promise<void> {
  try {
    if (Platform.OS === 'web') globalThis.localStorage?.removeItem(LEGACY_AUTH_KEY);
    else await SecureStore.deleteItemAsync(LEGACY_AUTH_KEY);
  } catch {
    // Nothing stored, or no storage: nothing to remove.
  }
}
