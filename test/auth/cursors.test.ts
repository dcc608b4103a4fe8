import request from 'supertest';
import { useTestApp } from '../support/app';
import { bearer, promoteToAdmin, register, uniqueEmail } from './helpers';

const API = '/api/v1/auth';

/**
 * Issue 22 L2: cursors of a valid shape that PostgreSQL cannot take (an event id above bigint's
 * range, a creation time that does not exist) gave 500. They are 400 invalid_request naming the
 * parameter, like any other bad cursor.
 */
describe('paging cursors of the right shape but impossible values', () => {
  const t = useTestApp();
  let admin: Awaited<ReturnType<typeof register>>;
  beforeAll(async () => {
    admin = await register(t.app, uniqueEmail('cursor-admin'));
    await promoteToAdmin(t, admin.user.id);
  });
  const get = (path: string) => request(t.app).get(`${API}${path}`).set(bearer(admin.access_token));
  const cursor = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

  it.each(['/me/events?before=9223372036854775808', '/me/events?before=9999999999999999999', '/events?before=9223372036854775808'])('%s is 400 naming before', async (path) => {
    const res = await get(path);
    expect({ status: res.status, error: res.body.error, param: res.body.invalid_params?.[0]?.name }).toEqual({ status: 400, error: 'invalid_request', param: 'before' });
  });

  it('the largest event id is still a valid cursor', async () => {
    expect((await get('/me/events?before=9223372036854775807')).status).toBe(200);
  });

  it.each([
    ['30 February', '2024-02-30T10:00:00.000000Z'],
    ['hour 24', '2024-01-01T24:00:00.000000Z'],
    ['month 13', '2024-13-01T00:00:00.000000Z'],
    ['year 0', '0000-01-01T00:00:00.000000Z'],
  ])('users?after= with %s is 400 naming after', async (_what, time) => {
    const res = await get(`/users?after=${cursor(`${time}|00000000-0000-4000-8000-000000000000`)}`);
    expect({ status: res.status, error: res.body.error, param: res.body.invalid_params?.[0]?.name }).toEqual({ status: 400, error: 'invalid_request', param: 'after' });
  });

  it('a real time in the cursor is still accepted', async () => {
    expect((await get(`/users?after=${cursor('2024-02-29T23:59:59.999999Z|00000000-0000-4000-8000-000000000000')}`)).status).toBe(200);
  });
});
