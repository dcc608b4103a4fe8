import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createVerifier } from '@cathouse/auth-client';
import { useTestApp } from '../support/app';
import { register, uniqueEmail } from '../auth/helpers';

const t = useTestApp();
let server: Server;
let jwksUri: string;
beforeAll(async () => {
  server = t.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('@cathouse/auth-client and guest players', () => {
  it("refuses a guest's token by default, accepts it with allowGuests (is_anonymous in its claims), and a player's either way", async () => {
    const guest = (await request(t.app).post('/api/v1/auth/guest')).body.access_token as string;
    const player = (await register(t.app, uniqueEmail('player'))).access_token;
    const options = { jwksUri, issuer: t.config.auth.issuer, audience: t.config.auth.audience };
    const strict = createVerifier(options);
    const open = createVerifier({ ...options, allowGuests: true });
    await expect(strict.verify(guest)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(open.verify(guest)).resolves.toMatchObject({ role: 'guest', is_anonymous: true });
    await expect(strict.verify(player)).resolves.toMatchObject({ role: 'player' });
    await expect(open.verify(player)).resolves.toMatchObject({ role: 'player' });
  });
});
