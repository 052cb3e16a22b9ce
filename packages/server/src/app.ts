// Builds the HTTP app from its dependencies (no globals, so tests start many in one process): the
// JSON parser, the one error handler mapping AppError codes to the protocol's error table, metrics,
// health, and every module's routes. Never logs bodies, tokens, keys or names: the request
// serializer keeps method, route pattern and id only, and the Authorization header is redacted.
import { routes, type ErrorBody, type ErrorCode } from '@hoard/protocol';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { AppDeps } from './app-deps.js';
import { SessionAuthenticator } from './auth.js';
import { AppError } from './errors.js';
import { createMetrics } from './metrics.js';
import { addReadOnlyGuard } from './migrate/read-only.js';
import { accountRoutes } from './modules/accounts/routes.js';
import { sharingRoutes } from './modules/sharing/routes.js';
import { paymentRoutes } from './modules/payments/routes.js';
import { transferRoutes } from './modules/transfers/routes.js';
import { treeRoutes } from './modules/tree/routes.js';
import { webApp } from './web-app.js';

export type { AppDeps } from './app-deps.js';

/** Fastify's own error codes that map onto protocol codes. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
};

function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  const fastifyError = error as Partial<FastifyError>;
  const code = fastifyError.code === undefined ? undefined : fastifyCodes[fastifyError.code];
  if (code) return new AppError(code, undefined, { cause: error });
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new AppError('MALFORMED_JSON', undefined, { cause: error });
  }
  const status = fastifyError.statusCode;
  if (status === 413) return new AppError('PAYLOAD_TOO_LARGE', undefined, { cause: error });
  if (status === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', undefined, { cause: error });
  // Any other client error Fastify raises (bad headers, bad URL encoding...) is the request's fault.
  if (status !== undefined && status >= 400 && status < 500) {
    return new AppError('VALIDATION_FAILED', undefined, { cause: error });
  }
  return undefined;
}

/** The protocol's route table as path patterns, to tell 405 (known path, other method) from 404. */
const routePatterns = Object.values(routes).map((spec) => ({
  method: spec.method,
  pattern: new RegExp(`^${spec.path.replace(/:[A-Za-z]+/g, '[^/]+')}$`),
}));

function allowedMethods(path: string): string[] {
  return [...new Set(routePatterns.filter((r) => r.pattern.test(path)).map((r) => r.method))];
}

function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Builds the app; call `await app.ready()` or `listen()` afterwards. */
export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db, clock } = deps;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: config.jsonBodyLimitBytes,
    trustProxy: config.trustProxy,
    // Requests that arrive while draining get 503 UNAVAILABLE in the error format (hook below).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Fastify's own request lines would log raw URLs and headers; onResponse below logs a safe line.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => crypto.randomUUID(),
    // Errors raised before routing (a badly encoded URL) bypass the error handler: same format here.
    frameworkErrors: (_error, _request, reply: FastifyReply) => {
      void reply.code(400).send(errorBody('VALIDATION_FAILED', 'the URL is not valid'));
    },
  });
  const metrics = createMetrics({ defaultMetrics: true });

  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // While draining, every answer closes its connection, so that no kept-alive socket holds the exit.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) {
      done();
      return;
    }
    void reply
      .code(503)
      .header('retry-after', '5')
      .header('connection', 'close')
      .send(errorBody('UNAVAILABLE', 'the server is shutting down; try again'));
  });

  app.decorate('hoardAuth', new SessionAuthenticator(db, clock, config.sessionTtlSeconds * 1000));

  // JSON bodies: an empty body is "no body" (POST /auth/logout with a JSON content type), anything
  // unparsable is MALFORMED_JSON.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new AppError('MALFORMED_JSON', undefined, { cause: error }), undefined);
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (!appError) {
      request.log.error({ err: error }, 'unhandled error');
      return reply.code(500).send(errorBody('INTERNAL', `internal error (request ${request.id})`));
    }
    if (appError.statusCode >= 500) request.log.error({ err: error }, 'server error');
    if (appError.retryAfterSeconds !== undefined)
      reply.header('retry-after', String(appError.retryAfterSeconds));
    return reply.code(appError.statusCode).send(errorBody(appError.code, appError.message));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = allowedMethods(path);
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send(errorBody('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}`));
    }
    return reply.code(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${path}`));
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequestDuration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    request.log.info(
      {
        method: request.method,
        route,
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
    done();
  });

  app.get('/healthz', async (_request, reply) => {
    try {
      await db.selectFrom('users').select('id').limit(1).execute();
    } catch (error) {
      throw new AppError('UNAVAILABLE', 'the database is not reachable', { cause: error });
    }
    return reply.send({ status: 'ok' });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(text);
  });

  addReadOnlyGuard(app, config.dataDir);
  await app.register(accountRoutes, { ...deps, metrics });
  await app.register(treeRoutes, deps);
  await app.register(transferRoutes, deps);
  await app.register(sharingRoutes, deps);
  await app.register(paymentRoutes, deps);
  await app.register(webApp, { webDir: deps.webDir, config });
  return app;
}
