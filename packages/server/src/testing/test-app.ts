// One in-process app for tests (app.inject, no ports): a fresh database of the requested dialect,
// a ManualClock, a BlobStore (in memory unless given), and helpers to sign up accounts through
// real OPAQUE messages. Tests of every module use it; nothing here is used by the running server.
import * as opaque from '@serenity-kit/opaque';
import { VersionId, type AuthResponse, type NodeId, type UserId } from '@hoard/protocol';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { createApp } from '../app.js';
import { ManualClock } from '../clock.js';
import { parseConfig, type ConfigInput } from '../config.js';
import type { Dialect } from '../db/database.js';
import type { Db } from '../db/schema.js';
import type { PaymentProvider } from '../modules/payments/payment-provider.js';
import type { BlobStore } from '../storage/blob-store.js';
import { randomId } from '../secrets.js';
import { MemoryBlobStore } from './memory-blob-store.js';
import { createTestDatabase } from './test-database.js';

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  dialect: Dialect;
  clock: ManualClock;
  blobStore: BlobStore;
  close(): Promise<void>;
}

export interface TestAppOptions {
  dialect?: Dialect;
  databaseUrl?: string | undefined;
  config?: ConfigInput;
  blobStore?: BlobStore;
  logger?: FastifyBaseLogger;
  paymentProvider?: PaymentProvider;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const testDb = await createTestDatabase(options.dialect ?? 'sqlite', options.databaseUrl);
  const { db, dialect } = testDb;
  const clock = new ManualClock(Date.now());
  const blobStore = options.blobStore ?? new MemoryBlobStore();
  // Test files sign up many accounts from one address; the sign-up limit has its own test.
  const config = parseConfig({
    dataDir: '/nonexistent',
    signupRateLimitPerIp: { limit: 1_000_000, windowSeconds: 3600 },
    ...options.config,
  });
  const app = await createApp({
    config,
    db,
    blobStore,
    clock,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.paymentProvider ? { paymentProvider: options.paymentProvider } : {}),
  });
  await app.ready();
  return {
    app,
    db,
    dialect,
    clock,
    blobStore,
    async close() {
      await app.close();
      await testDb.destroy();
    },
  };
}

/** 32 bytes of base64url, enough to pass as a wrapped key or a public key in tests. */
export const fakeKey = (): string => randomId() + randomId();

/** A fresh version id, as a client would make one. */
export const randomVersionId = (): VersionId => VersionId.parse(randomId());

/** A 32-byte base64url value (43 characters): name hashes, recovery auth keys. */
export const fake32 = (): string =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');

/**
 * The completion of an upload into a new file in `parentId`, with stand-ins for what a client
 * encrypts (the server stores them without reading them). `nodeId` when the test looks for it.
 */
export function newFileCompletion(parentId: string, nodeId: string = randomId()) {
  return {
    kind: 'new-file' as const,
    node: { id: nodeId, parentId, wrappedKey: fakeKey(), encryptedAttrs: fakeKey(), nameHash: fake32() },
    version: { id: randomId(), wrappedKey: fakeKey(), encryptedAttrs: fakeKey() },
  };
}

export interface TestAccount extends AuthResponse {
  email: string;
  password: string;
  rootNodeId: NodeId;
  recoveryAuthKey: string;
  /** `{ authorization: 'Bearer <token>' }` */
  headers: { authorization: string };
}

/** Signs up an account through the real routes, driving OPAQUE's client side directly. */
export async function signUp(
  app: FastifyInstance,
  email = `u${randomId()}@example.com`,
  password = 'correct horse battery',
): Promise<TestAccount> {
  await opaque.ready;
  const start = opaque.client.startRegistration({ password });
  const res1 = await app.inject({
    method: 'POST',
    url: '/auth/signup/start',
    payload: { email, registrationRequest: start.registrationRequest },
  });
  if (res1.statusCode !== 200) throw new Error(`signup/start: ${res1.statusCode} ${res1.body}`);
  const { registrationResponse } = res1.json<{ registrationResponse: string }>();
  const finish = opaque.client.finishRegistration({
    clientRegistrationState: start.clientRegistrationState,
    registrationResponse,
    password,
    keyStretching: 'memory-constrained',
  });
  const rootNodeId = randomId() as NodeId;
  const recoveryAuthKey = fake32();
  const res2 = await app.inject({
    method: 'POST',
    url: '/auth/signup/finish',
    payload: {
      email,
      userId: randomId() as UserId,
      registrationRecord: finish.registrationRecord,
      keys: {
        wrappedMasterKey: fakeKey(),
        wrappedMasterKeyRecovery: fakeKey(),
        recoveryAuthKey,
        rootNodeId,
        rootWrappedKey: fakeKey(),
        publicEncryptionKey: fakeKey(),
        publicSigningKey: fakeKey(),
        wrappedEncryptionPrivateKey: fakeKey(),
        wrappedSigningPrivateKey: fakeKey(),
        publicKeysSignature: fakeKey(),
      },
    },
  });
  if (res2.statusCode !== 201) throw new Error(`signup/finish: ${res2.statusCode} ${res2.body}`);
  const result = res2.json<AuthResponse>();
  return {
    ...result,
    email: email.trim().toLowerCase(),
    password,
    rootNodeId,
    recoveryAuthKey,
    headers: { authorization: `Bearer ${result.session.token}` },
  };
}

/** Logs in through the real routes; returns the raw finish response. */
export async function logIn(app: FastifyInstance, email: string, password: string, remoteAddress?: string) {
  await opaque.ready;
  const start = opaque.client.startLogin({ password });
  const res1 = await app.inject({
    method: 'POST',
    url: '/auth/login/start',
    payload: { email, startLoginRequest: start.startLoginRequest },
    ...(remoteAddress ? { remoteAddress } : {}),
  });
  if (res1.statusCode !== 200) return res1;
  const { loginId, loginResponse } = res1.json<{ loginId: string; loginResponse: string }>();
  const finish = opaque.client.finishLogin({
    clientLoginState: start.clientLoginState,
    loginResponse,
    password,
    keyStretching: 'memory-constrained',
  });
  return app.inject({
    method: 'POST',
    url: '/auth/login/finish',
    payload: { loginId, finishLoginRequest: finish?.finishLoginRequest ?? fake32() + fake32() },
  });
}
