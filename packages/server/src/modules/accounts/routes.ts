// HTTP routes of accounts: sign-up, login, recovery (rate-limited per e-mail and per client
// address), sessions, password change, deletion. Thin: parse, authenticate, call the service.
import {
  DeleteAccountRequest,
  LoginFinishRequest,
  LoginStartRequest,
  PasswordFinishRequest,
  PasswordStartRequest,
  RecoverFinishRequest,
  RecoverStartRequest,
  SignupFinishRequest,
  SignupStartRequest,
  type AccountResponse,
  type AuthResponse,
  type CurrentSessionResponse,
  type LoginStartResponse,
  type PasswordStartResponse,
  type RecoverStartResponse,
  type SessionsResponse,
  type SignupStartResponse,
} from '@hoard/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app-deps.js';
import { requireSession } from '../../auth.js';
import { AppError } from '../../errors.js';
import type { AppMetrics } from '../../metrics.js';
import type { RateLimiter } from '../../rate-limiter.js';
import { InProcessSharedState } from '../../shared-state/shared-state.js';
import { idParam, parseWith } from '../../validation.js';
import * as accounts from './accounts-service.js';
import { OpaqueServer, loadOpaqueServerSetup } from './opaque-server.js';

export interface LoginRateLimiters {
  perEmail: RateLimiter;
  perIp: RateLimiter;
  /** Sign-ups per client address (default: from config). */
  signupPerIp?: RateLimiter;
}

export type AccountRoutesOptions = AppDeps & { metrics: AppMetrics; rateLimiters?: LoginRateLimiters };

export const accountRoutes: FastifyPluginAsync<AccountRoutesOptions> = async (app, options) => {
  const { db, config, clock, blobStore, metrics } = options;
  const opaque = new OpaqueServer(await loadOpaqueServerSetup(db, clock.now(), config.opaqueServerSetup));
  const ctx: accounts.AccountsContext = { db, config, opaque };
  // Shared by every server in a fleet; login limits refuse while the shared store is down.
  const shared = options.shared ?? new InProcessSharedState(clock);
  const limiters: LoginRateLimiters = options.rateLimiters ?? {
    perEmail: shared.rateLimiter('login-email', config.loginRateLimitPerEmail, 'deny'),
    perIp: shared.rateLimiter('login-ip', config.loginRateLimitPerIp, 'deny'),
  };

  const signupLimiter =
    limiters.signupPerIp ?? shared.rateLimiter('signup-ip', config.signupRateLimitPerIp, 'allow');

  /** Counts an attempt against the e-mail address and the client address; 429 if either is spent. */
  async function limitAttempt(request: FastifyRequest, email: string): Promise<void> {
    const [byEmail, byIp] = await Promise.all([
      limiters.perEmail.consume(`email:${email}`),
      limiters.perIp.consume(`ip:${request.ip}`),
    ]);
    const waits = [byEmail, byIp].flatMap((d) => (d.allowed ? [] : [d.retryAfterSeconds]));
    if (waits.length > 0) {
      metrics.loginAttempts.inc({ outcome: 'rate_limited' });
      throw new AppError('RATE_LIMITED', 'too many attempts; try again later', {
        retryAfterSeconds: Math.max(...waits),
      });
    }
  }

  app.post('/auth/signup/start', async (request): Promise<SignupStartResponse> => {
    const body = parseWith(SignupStartRequest, request.body);
    const decision = await signupLimiter.consume(`signup-ip:${request.ip}`);
    if (!decision.allowed) {
      throw new AppError('RATE_LIMITED', 'too many sign-ups from this address; try again later', {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
    return { registrationResponse: await accounts.signupStart(ctx, body.email, body.registrationRequest) };
  });

  app.post('/auth/signup/finish', async (request, reply): Promise<AuthResponse> => {
    const body = parseWith(SignupFinishRequest, request.body);
    const result = await accounts.signupFinish(ctx, body, clock.now());
    reply.code(201);
    return result;
  });

  app.post('/auth/login/start', async (request): Promise<LoginStartResponse> => {
    const body = parseWith(LoginStartRequest, request.body);
    await limitAttempt(request, body.email);
    return accounts.loginStart(ctx, body.email, body.startLoginRequest, clock.now());
  });

  app.post('/auth/login/finish', async (request): Promise<AuthResponse> => {
    const body = parseWith(LoginFinishRequest, request.body);
    try {
      const { email, ...result } = await accounts.loginFinish(ctx, body, clock.now());
      metrics.loginAttempts.inc({ outcome: 'success' });
      // The per-address limit stays; the per-e-mail count is for guessing, which just ended.
      await limiters.perEmail.reset(`email:${email}`);
      return result;
    } catch (error) {
      metrics.loginAttempts.inc({ outcome: 'failure' });
      throw error;
    }
  });

  app.get('/auth/session', async (request): Promise<CurrentSessionResponse> => {
    const auth = await requireSession(request);
    return { session: await accounts.currentSession(db, auth) };
  });

  app.post('/auth/logout', async (request, reply) => {
    const auth = await requireSession(request);
    await accounts.revokeSession(db, auth.userId, auth.sessionId);
    return reply.code(204).send();
  });

  app.post('/auth/recover/start', async (request): Promise<RecoverStartResponse> => {
    const body = parseWith(RecoverStartRequest, request.body);
    await limitAttempt(request, body.email);
    return accounts.recoverStart(ctx, body, clock.now());
  });

  app.post('/auth/recover/finish', async (request): Promise<AuthResponse> => {
    const body = parseWith(RecoverFinishRequest, request.body);
    return accounts.recoverFinish(ctx, body, clock.now());
  });

  app.get('/account', async (request): Promise<AccountResponse> => {
    const { userId } = await requireSession(request);
    return { account: await accounts.getAccount(db, userId) };
  });

  app.get('/account/sessions', async (request): Promise<SessionsResponse> => {
    const auth = await requireSession(request);
    return { sessions: await accounts.listSessions(db, auth, clock.now()) };
  });

  app.delete('/account/sessions/:id', async (request, reply) => {
    const { userId } = await requireSession(request);
    await accounts.revokeSession(db, userId, idParam(request.params, 'id'));
    return reply.code(204).send();
  });

  app.post('/account/password/start', async (request): Promise<PasswordStartResponse> => {
    const auth = await requireSession(request);
    const body = parseWith(PasswordStartRequest, request.body);
    return {
      registrationResponse: await accounts.passwordStart(ctx, auth, body.registrationRequest, clock.now()),
    };
  });

  app.post('/account/password/finish', async (request, reply) => {
    const auth = await requireSession(request);
    const body = parseWith(PasswordFinishRequest, request.body);
    await accounts.passwordFinish(ctx, auth, body, clock.now());
    return reply.code(204).send();
  });

  app.delete('/account', async (request, reply) => {
    const auth = await requireSession(request);
    const body = parseWith(DeleteAccountRequest, request.body);
    const abandoned = await accounts.deleteAccount(ctx, auth, body.confirmEmail, clock.now());
    for (const upload of abandoned) {
      try {
        await blobStore.abortMultipart(upload.blobKey, upload.storeHandle);
      } catch (error) {
        request.log.warn({ err: error }, 'could not drop the parts of an abandoned upload');
      }
    }
    return reply.code(204).send();
  });
};
