// Accounts: sign-up, OPAQUE login, sessions, password change, recovery and deletion, as rules over
// the database (no HTTP). Stores OPAQUE registration records and wrapped keys only; session tokens
// and the recovery auth key are kept as SHA-256. Never logs or returns secrets other than a new
// session's own token and secret.
import type {
  Account,
  AuthResponse,
  LoginFinishRequest,
  LoginId,
  LoginStartResponse,
  NodeId,
  PasswordFinishRequest,
  RecoverFinishRequest,
  RecoverStartRequest,
  RecoverStartResponse,
  RecoveryId,
  Session,
  SessionId,
  SessionInfo,
  SignupFinishRequest,
  UserId,
} from '@hoard/protocol';
import type { AuthContext } from '../../auth.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/schema.js';
import { AppError, isUniqueViolation } from '../../errors.js';
import { constantTimeEqual, randomId, randomSecret, sha256B64u } from '../../secrets.js';
import { createRootFolder, deleteAllNodesOf } from '../tree/tree-service.js';
import type { OpaqueServer } from './opaque-server.js';

/** How long a login or recovery may sit between its start and finish. */
const PENDING_TTL_MS = 5 * 60 * 1000;

const iso = (ms: number) => new Date(ms).toISOString();

export interface AccountsContext {
  db: Db;
  config: Config;
  opaque: OpaqueServer;
}

/** Opens a new session for a user; the token is returned once and stored only as its SHA-256. */
export async function createSession(db: Db, config: Config, userId: string, now: number): Promise<Session> {
  const session = { id: randomId(), token: randomSecret(), secret: randomSecret() };
  const expiresAt = now + config.sessionTtlSeconds * 1000;
  await db
    .insertInto('sessions')
    .values({
      id: session.id,
      user_id: userId,
      token_hash: sha256B64u(session.token),
      secret: session.secret,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
    })
    .execute();
  return {
    id: session.id as SessionId,
    token: session.token,
    secret: session.secret,
    expiresAt: iso(expiresAt),
  };
}

async function findUserByEmail(db: Db, email: string) {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

async function getUser(db: Db, userId: string) {
  const user = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!user) throw new AppError('UNAUTHENTICATED', 'the account no longer exists');
  return user;
}

/** Refuses unless the session was opened within the re-authentication window. */
export function requireFreshSession(auth: AuthContext, config: Config, now: number): void {
  if (now - auth.sessionCreatedAt > config.reauthWindowSeconds * 1000) throw new AppError('REAUTH_REQUIRED');
}

export async function signupStart(
  ctx: AccountsContext,
  email: string,
  registrationRequest: string,
): Promise<string> {
  if (await findUserByEmail(ctx.db, email))
    throw new AppError('EMAIL_TAKEN', 'an account with that e-mail exists');
  return ctx.opaque.registrationResponse(email, registrationRequest);
}

export async function signupFinish(
  ctx: AccountsContext,
  request: SignupFinishRequest,
  now: number,
): Promise<AuthResponse> {
  const { keys } = request;
  return ctx.db.transaction().execute(async (trx) => {
    if (await findUserByEmail(trx, request.email))
      throw new AppError('EMAIL_TAKEN', 'an account with that e-mail exists');
    if (await trx.selectFrom('users').select('id').where('id', '=', request.userId).executeTakeFirst()) {
      throw new AppError('ID_TAKEN', 'that user id is already taken');
    }
    try {
      await trx
        .insertInto('users')
        .values({
          id: request.userId,
          email: request.email,
          opaque_record: request.registrationRecord,
          wrapped_master_key: keys.wrappedMasterKey,
          wrapped_master_key_recovery: keys.wrappedMasterKeyRecovery,
          recovery_auth_hash: sha256B64u(keys.recoveryAuthKey),
          root_node_id: keys.rootNodeId,
          public_encryption_key: keys.publicEncryptionKey,
          public_signing_key: keys.publicSigningKey,
          wrapped_encryption_private_key: keys.wrappedEncryptionPrivateKey,
          wrapped_signing_private_key: keys.wrappedSigningPrivateKey,
          public_keys_signature: keys.publicKeysSignature,
          quota_bytes: ctx.config.freeQuotaBytes,
          created_at: now,
        })
        .execute();
      await createRootFolder(
        trx,
        request.userId,
        { id: keys.rootNodeId, wrappedKey: keys.rootWrappedKey },
        now,
      );
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (isUniqueViolation(error)) {
        const detail = `${(error as { constraint?: string }).constraint ?? ''} ${(error as Error).message}`;
        throw new AppError(detail.includes('email') ? 'EMAIL_TAKEN' : 'ID_TAKEN', undefined, {
          cause: error,
        });
      }
      throw error;
    }
    const session = await createSession(trx, ctx.config, request.userId, now);
    return { userId: request.userId, session };
  });
}

export async function loginStart(
  ctx: AccountsContext,
  email: string,
  startLoginRequest: string,
  now: number,
): Promise<LoginStartResponse> {
  const user = await findUserByEmail(ctx.db, email);
  const { serverLoginState, loginResponse } = ctx.opaque.startLogin(
    email,
    user?.opaque_record,
    startLoginRequest,
  );
  const loginId = randomId();
  await ctx.db
    .insertInto('login_attempts')
    .values({ id: loginId, email, server_login_state: serverLoginState, expires_at: now + PENDING_TTL_MS })
    .execute();
  return { loginId: loginId as LoginId, loginResponse };
}

/** Finishes a login; also returns the e-mail address it was for (to clear its rate limit). */
export async function loginFinish(
  ctx: AccountsContext,
  request: LoginFinishRequest,
  now: number,
): Promise<AuthResponse & { email: string }> {
  const attempt = await ctx.db
    .selectFrom('login_attempts')
    .selectAll()
    .where('id', '=', request.loginId)
    .executeTakeFirst();
  if (!attempt) throw new AppError('LOGIN_FAILED');
  // Single use: a second finish with the same state must fail.
  const deleted = await ctx.db.deleteFrom('login_attempts').where('id', '=', attempt.id).executeTakeFirst();
  if (deleted.numDeletedRows === 0n || attempt.expires_at <= now) throw new AppError('LOGIN_FAILED');
  if (!ctx.opaque.finishLogin(attempt.server_login_state, request.finishLoginRequest)) {
    throw new AppError('LOGIN_FAILED');
  }
  const user = await findUserByEmail(ctx.db, attempt.email);
  if (!user) throw new AppError('LOGIN_FAILED');
  const session = await createSession(ctx.db, ctx.config, user.id, now);
  return { userId: user.id as UserId, session, email: user.email };
}

export async function currentSession(
  db: Db,
  auth: AuthContext,
): Promise<{ id: SessionId; expiresAt: string; secret: string }> {
  const row = await db
    .selectFrom('sessions')
    .select(['id', 'expires_at', 'secret'])
    .where('id', '=', auth.sessionId)
    .executeTakeFirst();
  if (!row) throw new AppError('UNAUTHENTICATED');
  return { id: row.id as SessionId, expiresAt: iso(row.expires_at), secret: row.secret };
}

export async function revokeSession(db: Db, userId: string, sessionId: string): Promise<void> {
  const result = await db
    .deleteFrom('sessions')
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (result.numDeletedRows === 0n) throw new AppError('NOT_FOUND', 'no such session');
}

export async function listSessions(db: Db, auth: AuthContext, now: number): Promise<SessionInfo[]> {
  const rows = await db
    .selectFrom('sessions')
    .select(['id', 'created_at', 'last_seen_at', 'expires_at'])
    .where('user_id', '=', auth.userId)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    id: row.id as SessionId,
    createdAt: iso(row.created_at),
    lastSeenAt: iso(row.last_seen_at),
    expiresAt: iso(row.expires_at),
    current: row.id === auth.sessionId,
  }));
}

export async function getAccount(db: Db, userId: string): Promise<Account> {
  const user = await getUser(db, userId);
  return {
    userId: user.id as UserId,
    email: user.email,
    createdAt: iso(user.created_at),
    rootNodeId: user.root_node_id as NodeId,
    keys: {
      wrappedMasterKey: user.wrapped_master_key,
      publicEncryptionKey: user.public_encryption_key,
      publicSigningKey: user.public_signing_key,
      wrappedEncryptionPrivateKey: user.wrapped_encryption_private_key,
      wrappedSigningPrivateKey: user.wrapped_signing_private_key,
      publicKeysSignature: user.public_keys_signature,
    },
    quota: { limitBytes: user.quota_bytes, usedBytes: user.used_bytes, reservedBytes: user.reserved_bytes },
  };
}

export async function passwordStart(
  ctx: AccountsContext,
  auth: AuthContext,
  registrationRequest: string,
  now: number,
) {
  requireFreshSession(auth, ctx.config, now);
  const user = await getUser(ctx.db, auth.userId);
  return ctx.opaque.registrationResponse(user.email, registrationRequest);
}

/** Stores the new record and re-wrapped master key; every other session of the account ends. */
export async function passwordFinish(
  ctx: AccountsContext,
  auth: AuthContext,
  request: PasswordFinishRequest,
  now: number,
): Promise<void> {
  requireFreshSession(auth, ctx.config, now);
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set({ opaque_record: request.registrationRecord, wrapped_master_key: request.wrappedMasterKey })
      .where('id', '=', auth.userId)
      .execute();
    await trx
      .deleteFrom('sessions')
      .where('user_id', '=', auth.userId)
      .where('id', '!=', auth.sessionId)
      .execute();
  });
}

export async function recoverStart(
  ctx: AccountsContext,
  request: RecoverStartRequest,
  now: number,
): Promise<RecoverStartResponse> {
  const user = await findUserByEmail(ctx.db, request.email);
  const presented = sha256B64u(request.recoveryAuthKey);
  // Compare even for an unknown e-mail so that both paths cost the same.
  const matches = constantTimeEqual(presented, user?.recovery_auth_hash ?? sha256B64u(''));
  if (!user || !matches) throw new AppError('RECOVERY_FAILED');
  const registrationResponse = ctx.opaque.registrationResponse(user.email, request.registrationRequest);
  const recoveryId = randomId();
  await ctx.db
    .insertInto('recoveries')
    .values({ id: recoveryId, user_id: user.id, expires_at: now + PENDING_TTL_MS })
    .execute();
  return {
    recoveryId: recoveryId as RecoveryId,
    userId: user.id as UserId,
    registrationResponse,
    wrappedMasterKeyRecovery: user.wrapped_master_key_recovery,
  };
}

/** Sets the new password's record and master key wrap; revokes every session, opens a new one. */
export async function recoverFinish(
  ctx: AccountsContext,
  request: RecoverFinishRequest,
  now: number,
): Promise<AuthResponse> {
  return ctx.db.transaction().execute(async (trx) => {
    const recovery = await trx
      .selectFrom('recoveries')
      .selectAll()
      .where('id', '=', request.recoveryId)
      .executeTakeFirst();
    if (!recovery) throw new AppError('RECOVERY_FAILED');
    await trx.deleteFrom('recoveries').where('id', '=', recovery.id).execute();
    if (recovery.expires_at <= now)
      throw new AppError('RECOVERY_FAILED', 'the recovery has expired; start again');
    await trx
      .updateTable('users')
      .set({ opaque_record: request.registrationRecord, wrapped_master_key: request.wrappedMasterKey })
      .where('id', '=', recovery.user_id)
      .execute();
    await trx.deleteFrom('sessions').where('user_id', '=', recovery.user_id).execute();
    const session = await createSession(trx, ctx.config, recovery.user_id, now);
    return { userId: recovery.user_id as UserId, session };
  });
}

/** An upload that was still open when its account went: its parts must be dropped from the store. */
export interface AbandonedUpload {
  blobKey: string;
  storeHandle: string;
}

/**
 * Deletes the account and everything of it: nodes, versions (blobs queued in blob_garbage),
 * uploads, sessions. Returns the open uploads whose parts the caller drops from the BlobStore.
 */
export async function deleteAccount(
  ctx: AccountsContext,
  auth: AuthContext,
  confirmEmail: string,
  now: number,
): Promise<AbandonedUpload[]> {
  requireFreshSession(auth, ctx.config, now);
  return ctx.db.transaction().execute(async (trx) => {
    const user = await getUser(trx, auth.userId);
    if (user.email !== confirmEmail) {
      throw new AppError('VALIDATION_FAILED', "confirmEmail does not match the account's e-mail address");
    }
    const open = await trx
      .selectFrom('uploads')
      .select(['blob_key', 'store_handle'])
      .where('user_id', '=', user.id)
      .where('state', '=', 'open')
      .execute();
    await deleteAllNodesOf(trx, user.id, now);
    await trx.deleteFrom('uploads').where('user_id', '=', user.id).execute();
    await trx.deleteFrom('recoveries').where('user_id', '=', user.id).execute();
    await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    await trx.deleteFrom('users').where('id', '=', user.id).execute();
    return open.map((u) => ({ blobKey: u.blob_key, storeHandle: u.store_handle }));
  });
}

/** Drops login attempts and recoveries that can no longer finish. */
export async function deleteExpiredPending(db: Db, now: number): Promise<void> {
  await db.deleteFrom('login_attempts').where('expires_at', '<=', now).execute();
  await db.deleteFrom('recoveries').where('expires_at', '<=', now).execute();
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
}
