export { AuthClient, createAuthClient, type AuthClientOptions, type AuthEvents, type SignOutReason } from './auth-client.js';
export type { AuthMode, AuthUser, RegisterInput, TokenResponse } from './auth-api.js';
export { attachAxios, type AxiosInstanceLike } from './axios.js';
export { AuthError, isTransient, type ClientErrorCode } from './errors.js';
export { localStorageAdapter, memoryStorage, secureStoreAdapter, type SecureStoreLike, type SessionStorage } from './storage.js';
