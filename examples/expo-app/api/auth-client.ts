import { createAuthClient, localStorageAdapter, secureStoreAdapter } from '@cathouse/auth-browser';
import * as SecureStore from 'expo-secure-store';
import { Platform } from 'react-native';
import { AUTH_URL } from './config';

/**
 * The one session of the app. It keeps the tokens (localStorage on the web, the keychain through
 * SecureStore on iOS and Android, under the key `cathouse.auth`), refreshes them before they
 * expire, stores every rotated refresh token, and on the web shares all of it with the other tabs.
 */
export const auth = createAuthClient({
  baseUrl: AUTH_URL,
  storage: Platform.OS === 'web' ? localStorageAdapter() : secureStoreAdapter(SecureStore),
});
