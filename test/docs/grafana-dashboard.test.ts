import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { useTestApp } from '../support/app';

/** docs/grafana/auth-dashboard.json queries only metrics the service exports (issue 21). */
describe('the Grafana dashboard', () => {
  const t = useTestApp();

  it('names only metrics that GET /metrics serves', async () => {
    const dashboard = JSON.parse(readFileSync(path.resolve(__dirname, '../../docs/grafana/auth-dashboard.json'), 'utf8'));
    const queries: string[] = [
      ...dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((target) => target.expr)),
      ...dashboard.templating.list.map((v: { query: unknown }) => (typeof v.query === 'string' ? v.query : '')),
    ];
    const named = [...new Set(queries.flatMap((q) => q.match(/\bauth_[a-z0-9_]+/g) ?? []))];
    expect(named.length).toBeGreaterThan(10);
    // Labelled series exist from their first observation: one request first. Series per
    // subscription (security events) exist once one is made: those count by their # TYPE line.
    await request(t.app).get('/api/v1/auth/health').expect(200);
    const metrics = (await request(t.app).get('/metrics').expect(200)).text;
    const served = new Set(metrics.split('\n').flatMap((line) => /^([a-z_][a-z0-9_]*)[{ ]/.exec(line)?.[1] ?? []));
    for (const [, name, type] of metrics.matchAll(/^# TYPE ([a-z_][a-z0-9_]*) (\w+)$/gm)) {
      for (const suffix of type === 'histogram' ? ['_bucket', '_sum', '_count'] : ['']) served.add(`${name}${suffix}`);
    }
    expect(named.filter((name) => !served.has(name))).toEqual([]);
  });
});
