import express from 'express';
import request from 'supertest';
import type { Principal } from '../../src/auth/principal';
import { authenticateRequest } from '../../src/http/middleware/request-principal';
import { stepUpGuard } from '../../src/http/middleware/step-up';

/**
 * The step-up guard checks a sensitive request's session (AuthService.authenticate: the token,
 * then the session and user in the database) before its route; the route then takes that
 * principal instead of checking the same session a second time. Another token is checked anew.
 */
describe('a sensitive route behind the step-up guard', () => {
  const principalOf = (token: string) => ({ userId: `user-${token}`, sessionId: 's', role: 'player' }) as unknown as Principal;
  const setup = () => {
    const tokens: string[] = [];
    const service = { authenticate: async (token: string) => (tokens.push(token), principalOf(token)) };
    const steppedUp: string[] = [];
    const app = express();
    app.use(stepUpGuard(service, async (principal, action) => void steppedUp.push(`${principal.userId} ${action}`)));
    app.post('/password/change', async (req, res) => {
      if (req.headers['x-swap-token']) req.headers.authorization = `Bearer ${String(req.headers['x-swap-token'])}`;
      const principal = await authenticateRequest(req, service);
      res.json({ user: principal.userId });
    });
    return { app, tokens, steppedUp };
  };

  it('checks the session once: the guard authenticates, the route takes its principal', async () => {
    const { app, tokens, steppedUp } = setup();
    const res = await request(app).post('/password/change').set('authorization', 'Bearer abc').expect(200);
    expect(res.body).toEqual({ user: 'user-abc' });
    expect(steppedUp).toEqual(['user-abc change_password']);
    expect(tokens).toEqual(['abc']);
  });

  it('a token other than the one the guard checked is authenticated itself', async () => {
    const { app, tokens } = setup();
    const res = await request(app).post('/password/change').set('authorization', 'Bearer abc').set('x-swap-token', 'xyz').expect(200);
    expect(res.body).toEqual({ user: 'user-xyz' });
    expect(tokens).toEqual(['abc', 'xyz']);
  });

  it('a route the guard does not cover authenticates as before', async () => {
    const { app, tokens } = setup();
    app.get('/me', async (req, res) => void res.json({ user: (await authenticateRequest(req, { authenticate: async (t) => (tokens.push(t), principalOf(t)) })).userId }));
    await request(app).get('/me').set('authorization', 'Bearer abc').expect(200, { user: 'user-abc' });
    expect(tokens).toEqual(['abc']);
  });
});
