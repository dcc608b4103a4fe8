import type { SignInMethod } from './sign-in-method.js';

type Json = Record<string, unknown>;

/**
 * Where passkeys are made and used: the service sends WebAuthn options as JSON and takes the
 * credential back as JSON. The browser's navigator.credentials by default; a native app passes
 * its passkey library's create/get (react-native-passkeys takes and gives these same JSON forms).
 */
export interface PasskeyAdapter {
  create(options: Json): Promise<Json>;
  get(options: Json): Promise<Json>;
}

type PKC = { parseCreationOptionsFromJSON(o: Json): unknown; parseRequestOptionsFromJSON(o: Json): unknown };
type Cred = { toJSON(): Json };
const g = globalThis as unknown as { PublicKeyCredential: PKC; navigator: { credentials: { create(o: unknown): Promise<Cred>; get(o: unknown): Promise<Cred> } } };

/** navigator.credentials with WebAuthn L3's JSON helpers (Chrome 129+, Safari 18+, Firefox 119+). */
export const browserPasskeys: PasskeyAdapter = {
  create: async (o) => (await g.navigator.credentials.create({ publicKey: g.PublicKeyCredential.parseCreationOptionsFromJSON(o) })).toJSON(),
  get: async (o) => (await g.navigator.credentials.get({ publicKey: g.PublicKeyCredential.parseRequestOptionsFromJSON(o) })).toJSON(),
};

/** Sign-in with a passkey alone, no email (`POST passkeys/sign-in`): `invalid_credentials` when refused. */
export const withPasskey =
  (adapter: PasskeyAdapter = browserPasskeys): SignInMethod =>
  async (api) =>
    api.call('POST', '/passkeys/sign-in', { body: { response: await adapter.get(await api.call('POST', '/passkeys/sign-in/options')) } });
