import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

const PREFIX = '/api/v1/auth';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * Every path of the API's OpenAPI document answers a method it does not document with 405 and an
 * `Allow` naming exactly the documented ones, never a 404 that tells a client the path does not
 * exist. Generated from the document, so a new path is covered the day it is documented.
 */
describe('wrong methods on documented paths', () => {
  let db: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp(db.url);
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('are 405 with Allow listing the documented methods', async () => {
    const doc = (await request(t.app).get(`${PREFIX}/openapi.json`).expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const wrong: string[] = [];
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!path.startsWith(PREFIX)) continue;
      const documented = METHODS.filter((m) => m in item);
      const url = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
      // The web redirect sign-in exists only where WEB_SIGN_IN_PROVIDERS is set (not here): every method is 404.
      if (path.startsWith(`${PREFIX}/redirect/`)) {
        for (const method of METHODS) {
          const res = await request(t.app)[method](url);
          if (res.status !== 404 || res.body.error !== 'not_found') wrong.push(`${method.toUpperCase()} ${path} (redirect sign-in off): ${res.status}`);
        }
        continue;
      }
      // /me/passkeys/options is also an id of /me/passkeys/{id}: a method either template serves is served.
      const served = new Set(
        Object.entries(doc.paths)
          .filter(([other]) => new RegExp(`^${other.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(url))
          .flatMap(([, otherItem]) => METHODS.filter((m) => m in otherItem)),
      );
      for (const method of METHODS.filter((m) => !served.has(m))) {
        const res = await request(t.app)[method](url);
        checked++;
        const allow = new Set((res.headers.allow ?? '').split(',').map((s: string) => s.trim().toLowerCase()));
        const named = documented.every((m) => allow.has(m)) && [...allow].every((m) => served.has(m as (typeof METHODS)[number]));
        if (res.status !== 405 || !named) wrong.push(`${method.toUpperCase()} ${path}: ${res.status} allow=${res.headers.allow ?? '-'} (documented: ${documented.join(', ')})`);
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(wrong).toEqual([]);
  });
});
