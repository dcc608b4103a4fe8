import { generateKeyPairSync } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAuthKeys } from '../../src/auth/tokens/auth-keys';
import { signingKeysFromPem } from '../../src/auth/tokens/signing-keys';
import { ConfigError, parseConfig } from '../../src/config/config';
import { testConfig } from '../support/env';

describe('signing keys and the token secret', () => {
  it('without a configured key, generates one once in DATA_DIR/keys (0600) and reuses it on the next start', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'auth-data-'));
    const config = testConfig({ DATA_DIR: dataDir, TOKEN_SECRET: undefined });
    const [first, concurrent] = await Promise.all([loadAuthKeys(config), loadAuthKeys(config)]);
    expect(first.signingKeys.source).toBe('development-file');
    expect(concurrent.signingKeys.current.kid).toBe(first.signingKeys.current.kid);
    const keyFile = path.join(dataDir, 'keys', 'jwt-signing-key.pem');
    const secretFile = path.join(dataDir, 'keys', 'token-secret');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dataDir, 'keys'))).mode & 0o777).toBe(0o700);
    expect(await readFile(keyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);

    const again = await loadAuthKeys(config);
    expect(again.signingKeys.current.kid).toBe(first.signingKeys.current.kid);
    expect(again.tokenSecret.equals(first.tokenSecret)).toBe(true);
    expect(first.tokenSecret.length).toBeGreaterThanOrEqual(32);
  });

  it('with NODE_ENV=production and no key, the service refuses to start (config names the variable)', () => {
    expect(() =>
      parseConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@db:5432/cathouse', TOKEN_SECRET: 'x'.repeat(40) }),
    ).toThrow(/JWT_PRIVATE_KEY: required when NODE_ENV=production/);
  });

  it('refuses keys that are not ES256 P-256, and unreadable PEM, naming the variable', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    for (const pem of [rsa, p384, 'not a pem']) {
      expect(() => signingKeysFromPem(pem)).toThrow(ConfigError);
      expect(() => signingKeysFromPem(pem)).toThrow(/^JWT_PRIVATE_KEY: /);
    }
    const good = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => signingKeysFromPem(good, 'garbage')).toThrow(/^JWT_PREVIOUS_PUBLIC_KEYS: /);
  });

  it('accepts a PEM with escaped newlines, as single-line environments store it', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const keys = await loadAuthKeys(testConfig({ JWT_PRIVATE_KEY: pem.replace(/\n/g, '\\n') }));
    expect(keys.signingKeys.source).toBe('configured');
  });

  it('with a configured DATABASE_URL, a missing key or token secret is a configuration error, and nothing is generated', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'auth-data-'));
    const databaseUrl = 'postgres://u:p@db.example:5432/cathouse';
    // NODE_ENV unset (development): the shared database, not the environment name, decides.
    const noKey = parseConfig({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, TOKEN_SECRET: 'x'.repeat(40) });
    await expect(loadAuthKeys(noKey)).rejects.toThrow(/^JWT_PRIVATE_KEY: required when DATABASE_URL is set/);
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const noSecret = parseConfig({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, JWT_PRIVATE_KEY: pem });
    const err = await loadAuthKeys(noSecret).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/^TOKEN_SECRET: required when DATABASE_URL is set/);
    expect((err as ConfigError).message).not.toContain('\n');
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('mixed sources: a key file with escaped-newline previous keys in a variable, and a key variable with a previous-keys file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'auth-keys-'));
    const current = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const old = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const oldPublic = createPublicKey(old).export({ format: 'pem', type: 'spki' }).toString();
    await writeFile(path.join(dir, 'key.pem'), current);
    await writeFile(path.join(dir, 'previous.pem'), oldPublic);

    const fileAndVariable = await loadAuthKeys(
      testConfig({ JWT_PRIVATE_KEY_FILE: path.join(dir, 'key.pem'), JWT_PREVIOUS_PUBLIC_KEYS: oldPublic.replace(/\n/g, '\\n') }),
    );
    expect(fileAndVariable.signingKeys.jwks().keys).toHaveLength(2);

    const variableAndFile = await loadAuthKeys(
      testConfig({ JWT_PRIVATE_KEY: current.replace(/\n/g, '\\n'), JWT_PREVIOUS_PUBLIC_KEYS_FILE: path.join(dir, 'previous.pem') }),
    );
    expect(variableAndFile.signingKeys.jwks().keys).toHaveLength(2);
    expect(variableAndFile.signingKeys.current.kid).toBe(fileAndVariable.signingKeys.current.kid);
  });

  it('a missing key file is a configuration error naming the variable', async () => {
    await expect(loadAuthKeys(testConfig({ JWT_PRIVATE_KEY_FILE: '/nonexistent/key.pem' }))).rejects.toThrow(/^JWT_PRIVATE_KEY_FILE: cannot read/);
  });
});
