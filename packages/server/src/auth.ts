// Session authentication for every module's routes. A route calls `await requireSession(request)`
// and gets the caller's user and session, or the request fails with 401 UNAUTHENTICATED. Tokens are
// looked up by their SHA-256; the token itself is never stored or logged.
import type { SessionId, UserId } from '@hoard/protocol';
import type { FastifyRequest } from 'fastify';
import type { Clock } from './clock.js';
import type { Db } from './db/schema.js';
import { AppError } from './errors.js';
import { sha256B64u } from './secrets.js';

/** Who is calling. */
export interface AuthContext {
  userId: UserId;
  sessionId: SessionId;
  /** When the session was created (ms): password change and account deletion need a fresh one. */
  sessionCreatedAt: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by createApp; use requireSession(request) rather than this. */
    hoardAuth: SessionAuthenticator;
  }
}

/** Only refresh last_seen_at/expires_at when they are this stale, to spare a write per request. */
const TOUCH_INTERVAL_MS = 60_000;
const BEARER = /^Bearer ([A-Za-z0-9_-]{43})$/;

/** Resolves bearer tokens to sessions; sessions slide: each use pushes the expiry back by the TTL. */
export class SessionAuthenticator {
  readonly #cache = new WeakMap<FastifyRequest, Promise<AuthContext>>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly sessionTtlMs: number,
  ) {}

  /** The session of a request (looked up once per request). */
  authenticate(request: FastifyRequest): Promise<AuthContext> {
    let found = this.#cache.get(request);
    if (!found) {
      found = this.#lookup(request.headers.authorization);
      this.#cache.set(request, found);
    }
    return found;
  }

  async #lookup(header: string | undefined): Promise<AuthContext> {
    const match = header === undefined ? null : BEARER.exec(header);
    if (!match?.[1]) throw new AppError('UNAUTHENTICATED');
    const tokenHash = sha256B64u(match[1]);
    const row = await this.db
      .selectFrom('sessions')
      .select(['id', 'user_id', 'created_at', 'last_seen_at', 'expires_at'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    const now = this.clock.now();
    if (!row) throw new AppError('UNAUTHENTICATED');
    if (row.expires_at <= now) {
      await this.db.deleteFrom('sessions').where('id', '=', row.id).execute();
      throw new AppError('UNAUTHENTICATED', 'the session has expired; log in again');
    }
    if (now - row.last_seen_at >= TOUCH_INTERVAL_MS) {
      await this.db
        .updateTable('sessions')
        .set({ last_seen_at: now, expires_at: now + this.sessionTtlMs })
        .where('id', '=', row.id)
        .execute();
    }
    return {
      userId: row.user_id as UserId,
      sessionId: row.id as SessionId,
      sessionCreatedAt: row.created_at,
    };
  }
}

/**
 * The caller's session; throws AppError('UNAUTHENTICATED') without a valid bearer token.
 *
 * @example
 * app.get('/uploads/:id', async (request) => {
 *   const { userId } = await requireSession(request);
 *   ...
 * });
 */
export function requireSession(request: FastifyRequest): Promise<AuthContext> {
  return request.server.hoardAuth.authenticate(request);
}
