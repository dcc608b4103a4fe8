import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ClientView, RegisteredClient } from '../../auth/oidc/clients';
import { generateSigningKeyPem, signingKeysFromPem } from '../../auth/tokens/signing-keys';
import type { MigrationConfig } from '../../config/config';
import { assertProductionIssuer } from '../../config/oidc-settings';
import { EXIT, UsageError, type CommandGroup } from './command';

const USAGE = `  oidc clients create --cat CAT_ID --name NAME --redirect-uri URI [--redirect-uri URI...] [--public]
                                        an OpenID client of a cat; prints its secret once (none with --public)
  oidc clients list [--cat CAT_ID]      the OpenID clients (of one cat)
  oidc clients delete CLIENT_ID         delete a client: its players' consents and every token it holds go too
  oidc clients hash-secrets             hash the secrets of clients registered before they were stored hashed
                                        (once, after every instance runs a release that compares hashes)
  oidc resource-server create NAME      a Cat House service that may introspect cats' tokens; prints its secret once
  oidc token --cat CAT_ID [--expires-in SECONDS]
                                        an initial access token for RFC 7591 registration of a client of the cat
  oidc prune                            delete the provider's expired codes, tokens, sessions and grants now`;

/** The operator acts with an admin's rights and no user of its own. */
const OPERATOR = { userId: null, role: 'admin' as const };

/**
 * The provider instance the commands validate client metadata and store initial access tokens
 * with. It never signs or sets a cookie here, so it gets throwaway keys: the CLI needs no
 * JWT_PRIVATE_KEY to register a client.
 */
async function cliProvider(config: MigrationConfig, dataSource: DataSource) {
  assertProductionIssuer(config.env, config.oidc.issuer);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createOidcProvider } = require('../../auth/oidc/provider') as typeof import('../../auth/oidc/provider');
  const keys = { signingKeys: signingKeysFromPem(generateSigningKeyPem()), tokenSecret: randomBytes(32), previousTokenSecrets: [] };
  return createOidcProvider({ config: { oidc: config.oidc, http: { trustProxy: undefined } }, dataSource, keys, jwksUri: new URL('/.well-known/jwks.json', config.oidc.issuer).href }).provider;
}

function clientText(c: ClientView | RegisteredClient): string {
  const lines = [
    `${c.client_id}  ${c.client_name ?? ''}  ${c.cat_id ? `cat=${c.cat_id}` : 'resource server'}  auth=${c.token_endpoint_auth_method}`,
    ...c.redirect_uris.map((u) => `  redirect_uri: ${u}`),
  ];
  if ('client_secret' in c && c.client_secret) lines.push(`client_secret: ${c.client_secret}`, 'Store it now: it is not shown again.');
  return lines.join('\n');
}

/** `npm run admin -- oidc ...`: the OpenID provider's clients and registration tokens (issue 27). */
export const oidcGroup: CommandGroup = {
  name: 'oidc',
  usage: USAGE,
  options: {
    cat: { type: 'string' },
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    public: { type: 'boolean', default: false },
    'expires-in': { type: 'string' },
  },
  async run(command, ctx) {
    // Loaded here, not at the top: the provider library costs every other admin command ~0.5 s of start-up.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { pruneExpiredOidcState } = require('../../auth/oidc/adapter') as typeof import('../../auth/oidc/adapter');
    const { deleteClient, issueInitialAccessToken, listClients, registerCatClient, registerResourceServer } = require('../../auth/oidc/clients') as typeof import('../../auth/oidc/clients');
    const { hashStoredClientSecrets } = require('../../auth/oidc/client-secrets') as typeof import('../../auth/oidc/client-secrets');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const [sub, ...rest] = [command, ...ctx.args];
    const option = (name: string) => ctx.options[name] as string | undefined;
    const required = (name: string) => {
      const value = option(name);
      if (!value) throw new UsageError(`oidc ${sub} needs --${name}`);
      return value;
    };
    const dataSource = await ctx.db();
    if (sub === 'clients' && rest[0] === 'create') {
      const redirectUris = (ctx.options['redirect-uri'] as unknown as string[] | undefined) ?? [];
      if (redirectUris.length === 0) throw new UsageError('oidc clients create needs at least one --redirect-uri');
      const created = await registerCatClient({ dataSource, provider: await cliProvider(ctx.config, dataSource) }, OPERATOR, {
        cat_id: required('cat'),
        client_name: required('name'),
        redirect_uris: redirectUris,
        token_endpoint_auth_method: ctx.options.public ? 'none' : 'client_secret_basic',
      });
      ctx.print(created, clientText(created));
      return EXIT.ok;
    }
    if (sub === 'clients' && rest[0] === 'list') {
      const clients = await listClients(dataSource, OPERATOR, option('cat'));
      ctx.print({ clients }, clients.length ? clients.map(clientText).join('\n') : 'no OpenID clients');
      return EXIT.ok;
    }
    if (sub === 'clients' && rest[0] === 'delete') {
      if (rest.length !== 2) throw new UsageError('oidc clients delete takes one CLIENT_ID');
      await deleteClient(dataSource, OPERATOR, rest[1]!);
      ctx.print({ deleted: rest[1] }, `deleted ${rest[1]}`);
      return EXIT.ok;
    }
    if (sub === 'clients' && rest[0] === 'hash-secrets' && rest.length === 1) {
      const hashed = await hashStoredClientSecrets(dataSource);
      ctx.print({ hashed }, `hashed ${hashed} client secret(s) stored in clear`);
      return EXIT.ok;
    }
    if (sub === 'resource-server' && rest[0] === 'create') {
      if (rest.length !== 2) throw new UsageError('oidc resource-server create takes one NAME');
      const created = await registerResourceServer({ dataSource, provider: await cliProvider(ctx.config, dataSource) }, rest[1]!);
      ctx.print(created, clientText(created));
      return EXIT.ok;
    }
    if (sub === 'token' && rest.length === 0) {
      const ttl = Number(option('expires-in') ?? 86_400);
      if (!Number.isInteger(ttl) || ttl < 60 || ttl > 2_592_000) throw new UsageError('--expires-in: whole seconds from 60 to 2592000');
      const issued = await issueInitialAccessToken({ dataSource, provider: await cliProvider(ctx.config, dataSource) }, OPERATOR, required('cat'), ttl);
      ctx.print(issued, `initial_access_token: ${issued.initial_access_token}\nregistration_endpoint: ${issued.registration_endpoint}\nexpires_in: ${issued.expires_in} s`);
      return EXIT.ok;
    }
    if (sub === 'prune' && rest.length === 0) {
      let total = 0;
      for (let n = await pruneExpiredOidcState(dataSource, { graceSeconds: 0 }); n > 0; n = await pruneExpiredOidcState(dataSource, { graceSeconds: 0 })) total += n;
      ctx.print({ pruned: total }, `pruned ${total} expired rows`);
      return EXIT.ok;
    }
    throw new UsageError(`unknown command "oidc ${[sub, ...rest].filter(Boolean).join(' ')}"`);
  },
};
