// Prometheus metrics, one registry per app (never prom-client's global one, so that tests can run
// many apps in one process). Labels carry route patterns (`/nodes/:id`), never ids or names.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface AppMetrics {
  registry: Registry;
  httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  loginAttempts: Counter<'outcome'>;
}

export function createMetrics(options: { defaultMetrics: boolean }): AppMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'hoard_' });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'hoard_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    loginAttempts: new Counter({
      name: 'hoard_login_attempts_total',
      help: 'Login and recovery attempts by outcome.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
