export { Account, type AccountHost } from './account.js';
export { AuthApi, type CallOptions, type FetchLike, type LogoutScope } from './auth-api.js';
export { AuthClient, createAuthClient } from './auth-client.js';
export type { AuthClientOptions } from './client-options.js';
export { attachAxios, type AxiosInstanceLike, type AuthAxiosError } from './axios.js';
export { AuthError, isTransient, type ClientErrorCode } from './errors.js';
export type { AuthEvents, SessionSnapshot } from './session-events.js';
export type { SignOutReason } from './session-record.js';
export { withPassword } from './sign-in/password.js';
export { withRegistration } from './sign-in/registration.js';
export { withIdToken } from './sign-in/id-token.js';
export { asGuest, withGuestUpgrade } from './sign-in/guest.js';
export { completeRedirectSignIn, signInWithRedirect, startAppRedirectSignIn, withRedirectCode, type PkceCrypto } from './sign-in/redirect.js';
export type { SignInMethod } from './sign-in/sign-in-method.js';
export { withMfa, type SecondFactor } from './sign-in/mfa.js';
export { browserPasskeys, withPasskey, type PasskeyAdapter } from './sign-in/passkey.js';
export { confirmTotp, enrolTotp, registerPasskey, stepUp } from './sign-in/factors.js';
export { localStorageAdapter, memoryStorage, secureStoreAdapter, type SecureStoreLike, type SessionStorage } from './storage.js';
export type {
  Accepted,
  AuthMode,
  AuthUser,
  ConnectedApp,
  CreatedPersonalAccessToken,
  DeviceSession,
  EventPage,
  FactorOverview,
  LinkedIdentity,
  Passkey,
  PersonalAccessToken,
  ProfileInput,
  RegisterInput,
  SecurityEvent,
  TokenResponse,
} from './types.js';
