import request from 'supertest';
import { RegisterRequest } from '../../src/http/openapi/schemas';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

describe('GET /api/v1/auth/openapi.json', () => {
  let db: TestDatabase;
  let t: TestApp;
  let doc: {
    openapi: string;
    paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref?: string } }> }; responses: Record<string, { description?: string; content?: Record<string, unknown> }> }>>;
    components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[]; additionalProperties?: unknown; oneOf?: unknown[] }>; securitySchemes: Record<string, unknown> };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp(db.url);
    const res = await request(t.app).get('/api/v1/auth/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('is OpenAPI 3.1 and documents every endpoint of the contract', () => {
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        'POST /api/v1/auth/register',
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/refresh',
        'POST /api/v1/auth/token',
        'POST /api/v1/auth/logout',
        'GET /api/v1/auth/me',
        'PATCH /api/v1/auth/users/{id}',
        'GET /api/v1/auth/me/sessions',
        'DELETE /api/v1/auth/me/sessions/{id}',
        'GET /api/v1/auth/me/events',
        'GET /api/v1/auth/events',
        'GET /api/v1/auth/users',
        'GET /api/v1/auth/users/{id}',
        'DELETE /api/v1/auth/users/{id}/sessions',
        'GET /.well-known/jwks.json',
        'GET /api/v1/auth/health',
        'GET /api/v1/auth/ready',
        'GET /api/v1/auth/openapi.json',
        'POST /api/v1/auth/verify-email',
        'POST /api/v1/auth/verify-email/resend',
        'POST /api/v1/auth/password/forgot',
        'POST /api/v1/auth/password/reset',
        'POST /api/v1/auth/password/change',
        'POST /api/v1/auth/email/change',
        'PATCH /api/v1/auth/me',
        'DELETE /api/v1/auth/me',
        'POST /api/v1/auth/me/developer',
        // Web redirect sign-in with any OpenID provider (issue 25 item 2).
        'GET /api/v1/auth/redirect/{provider}',
        'GET /api/v1/auth/redirect/callback',
        // Sign in with Apple answers by form_post.
        'POST /api/v1/auth/redirect/callback',
        'POST /api/v1/auth/redirect/exchange',
        // The OpenID provider's JSON endpoints (issue 27).
        'GET /api/v1/auth/me/connected-apps',
        'DELETE /api/v1/auth/me/connected-apps/{id}',
        'GET /api/v1/auth/users/{id}/connected-apps',
        'DELETE /api/v1/auth/users/{id}/connected-apps/{appId}',
        'POST /api/v1/auth/oidc/clients',
        'GET /api/v1/auth/oidc/clients',
        'DELETE /api/v1/auth/oidc/clients/{clientId}',
        'POST /api/v1/auth/oidc/initial-access-tokens',
        // Sign-in with Apple/Google, identities and guest players (issue 25).
        'POST /api/v1/auth/id-token',
        'GET /api/v1/auth/me/identities',
        'POST /api/v1/auth/me/identities',
        'DELETE /api/v1/auth/me/identities/{id}',
        'POST /api/v1/auth/guest',
        'POST /api/v1/auth/guest/upgrade',
        'POST /api/v1/auth/device_authorization',
        'GET /api/v1/auth/me/tokens',
        'POST /api/v1/auth/me/tokens',
        'DELETE /api/v1/auth/me/tokens',
        'DELETE /api/v1/auth/me/tokens/{id}',
        // Webhooks and the Shared Signals transmitter (issue 29).
        'GET /api/v1/auth/admin/webhooks',
        'POST /api/v1/auth/admin/webhooks',
        'GET /api/v1/auth/admin/webhooks/{id}',
        'PATCH /api/v1/auth/admin/webhooks/{id}',
        'DELETE /api/v1/auth/admin/webhooks/{id}',
        'POST /api/v1/auth/admin/webhooks/{id}/rotate-secret',
        'POST /api/v1/auth/admin/webhooks/{id}/replay',
        'GET /api/v1/auth/admin/webhooks/{id}/deliveries',
        'GET /.well-known/ssf-configuration',
        'POST /api/v1/auth/ssf/stream',
        'GET /api/v1/auth/ssf/stream',
        'PATCH /api/v1/auth/ssf/stream',
        'PUT /api/v1/auth/ssf/stream',
        'DELETE /api/v1/auth/ssf/stream',
        'GET /api/v1/auth/ssf/status',
        'POST /api/v1/auth/ssf/status',
        'POST /api/v1/auth/ssf/subjects:add',
        'POST /api/v1/auth/ssf/subjects:remove',
        'POST /api/v1/auth/ssf/verify',
        'POST /api/v1/auth/ssf/poll/{streamId}',
        // Passkeys, second factors and step-up (issue 26).
        'GET /api/v1/auth/me/factors',
        'POST /api/v1/auth/me/totp',
        'POST /api/v1/auth/me/totp/confirm',
        'DELETE /api/v1/auth/me/totp',
        'POST /api/v1/auth/me/recovery-codes',
        'POST /api/v1/auth/me/passkeys/options',
        'POST /api/v1/auth/me/passkeys',
        'PATCH /api/v1/auth/me/passkeys/{id}',
        'DELETE /api/v1/auth/me/passkeys/{id}',
        'POST /api/v1/auth/mfa/passkey-options',
        'POST /api/v1/auth/mfa/verify',
        'POST /api/v1/auth/passkeys/sign-in/options',
        'POST /api/v1/auth/passkeys/sign-in',
        'POST /api/v1/auth/step-up/passkey-options',
        'POST /api/v1/auth/step-up',
        'POST /api/v1/auth/users/{id}/factors/reset',
      ].sort(),
    );
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('is generated from the validating schemas: same fields, same required ones, unknown fields refused', () => {
    const schema = doc.components.schemas.RegisterRequest!;
    expect(Object.keys(schema.properties!).sort()).toEqual(Object.keys(RegisterRequest.shape).sort());
    expect(schema.required!.sort()).toEqual(['email', 'password']);
    expect(schema.additionalProperties).toBe(false);
    expect(doc.paths['/api/v1/auth/register']!.post!.requestBody!.content['application/json']!.schema.$ref).toBe(
      '#/components/schemas/RegisterRequest',
    );
    expect(doc.components.schemas.TokenRequest!.oneOf).toHaveLength(5);
    expect(Object.keys(doc.paths['/api/v1/auth/token']!.post!.requestBody!.content).sort()).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ]);
  });

  it('documents errors as problem+json with their stable codes', () => {
    const login = doc.paths['/api/v1/auth/login']!.post!.responses;
    expect(Object.keys(login).sort()).toEqual(['200', '400', '401', '403', '413', '415', '429', '503']);
    expect(login['503']).toMatchObject({ description: expect.stringContaining('server_busy') });
    expect(Object.keys(doc.paths['/api/v1/auth/register']!.post!.responses)).toEqual(expect.arrayContaining(['409', '429', '503']));
    expect(login['429']!.content).toHaveProperty(['application/problem+json']);
    const problem = doc.components.schemas.Problem!;
    expect(problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'error']));
  });

  it('documents the client grants at /token and its RFC 6749 §5.2 errors (application/json, not problem+json)', () => {
    const token = doc.paths['/api/v1/auth/token']!.post!;
    const grants = ['RefreshTokenGrant', 'PasswordGrant', 'ClientCredentialsGrant', 'TokenExchangeGrant'];
    for (const name of grants) expect(doc.components.schemas).toHaveProperty(name);
    expect(Object.keys(doc.components.schemas.TokenExchangeGrant!.properties!)).toEqual(
      expect.arrayContaining(['subject_token', 'subject_token_type', 'installation_id', 'resource', 'audience', 'client_id', 'client_secret']),
    );
    expect(Object.keys(doc.components.schemas.ClientCredentialsGrant!.properties!).sort()).toEqual(['client_id', 'client_secret', 'grant_type', 'scope']);
    expect(Object.keys(token.responses).sort()).toEqual(['200', '400', '401', '403', '413', '415', '429', '503']);
    for (const [status, response] of Object.entries(token.responses)) {
      expect({ status, types: Object.keys(response.content ?? {}) }).toEqual({ status, types: ['application/json'] });
    }
    expect(doc.components.securitySchemes.clientSecretBasic).toMatchObject({ type: 'http', scheme: 'basic' });
  });
});
