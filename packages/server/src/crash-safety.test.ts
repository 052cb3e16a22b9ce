// kill -9 of the server at any moment loses no completed upload and corrupts nothing (issue 3).
//
// The real hoard-server (dist/main.js, a child process) on a temp data dir runs many concurrent
// uploads of random bytes (single- and multi-part, some past 8 MiB, parts in flight at once) and is
// SIGKILLed at a seeded moment: part bodies half sent, a completion just sent, a completion just
// answered, or a plain timer. After each kill, with the server down, the data dir and the database
// are checked at rest (SQLite integrity_check, quota counters equal what exists, every blob accounted
// for, every recorded part's bytes intact on disk); then the server restarts on the same data dir
// and every upload whose completion was answered 201/200 must be listed and download byte for byte,
// and every upload that did not complete must resume (a listed part re-sent with the same bytes is
// 200, never 409) and complete. Finally the background jobs run (as main.ts runs them, with the
// clock a day on) and nothing may be left but the blobs that versions point at.
//
// Deterministic enough never to flake: the kill moments come from a seeded generator
// (HOARD_CRASH_SEED picks another seed), and only invariants that hold wherever the kill lands are
// asserted.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as opaque from '@serenity-kit/opaque';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { openDatabase } from './db/database.js';
import type { Db } from './db/schema.js';
import { runJobs } from './jobs.js';
import { randomId } from './secrets.js';
import { FsBlobStore } from './storage/fs-blob-store.js';
import { createPostgresDatabase } from './testing/postgres-database.js';
import { buildServer, spawnServer, type SpawnedServer } from './testing/spawn-server.js';
import { fake32, fakeKey } from './testing/test-app.js';

const MiB = 1024 * 1024;
/** The server's part size for every upload here (uploads below 78 GiB). */
const PART_BYTES = 8 * MiB;
const UPLOADS_PER_ROUND = 7;
const HOUR_MS = 3600 * 1000;

type KillMode = 'parts' | 'completion' | 'after-completion' | 'timer';
/** One kill round per entry, in this order. */
const ROUNDS: readonly KillMode[] = [
  'parts',
  'completion',
  'after-completion',
  'timer',
  'parts',
  'completion',
];
const BASE_SEED = Number(process.env.HOARD_CRASH_SEED ?? 0x5eed);

/** mulberry32: a small seeded generator, for kill moments and sizes only (never ids or keys). */
class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// HTTP: node:http, one connection per request, bodies written in slices so a kill can land mid-body.

/** The request got no (complete) answer: the server died, or was never reached. */
class NoAnswer extends Error {
  override readonly name = 'NoAnswer';
}

interface Answer {
  status: number;
  body: Buffer;
}

interface SendOptions {
  token?: string;
  json?: unknown;
  bytes?: Buffer;
  /** Called after each slice of the body is handed to the socket. */
  onBytes?: (n: number) => void;
}

const SLICE_BYTES = 256 * 1024;

function send(base: string, method: string, path: string, options: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(new NoAnswer(`${method} ${path}: ${(error as Error).message}`, { cause: error }));
    };
    const headers: http.OutgoingHttpHeaders = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: Buffer | undefined;
    if (options.json !== undefined) {
      payload = Buffer.from(JSON.stringify(options.json));
      headers['content-type'] = 'application/json';
    } else if (options.bytes) {
      payload = options.bytes;
      headers['content-type'] = 'application/octet-stream';
    }
    if (payload) headers['content-length'] = payload.length;
    const req = http.request(new URL(path, base), { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      res.on('close', () => {
        if (!res.complete) fail(new Error('the answer was cut short'));
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', fail);
    const write = async () => {
      if (payload) {
        for (let at = 0; at < payload.length; at += SLICE_BYTES) {
          if (req.destroyed) return;
          const slice = payload.subarray(at, at + SLICE_BYTES);
          const flushed = req.write(slice);
          options.onBytes?.(slice.length);
          if (!flushed) {
            await new Promise<void>((resolve) => {
              const done = () => {
                req.off('drain', done);
                req.off('close', done);
                resolve();
              };
              req.on('drain', done);
              req.on('close', done);
            });
          }
        }
      }
      if (!req.destroyed) req.end();
    };
    write().catch(fail);
  });
}

function json<T>(answer: Answer): T {
  return JSON.parse(answer.body.toString('utf8')) as T;
}

function describeAnswer(answer: Answer): string {
  return `${answer.status} ${answer.body.toString('utf8').slice(0, 300)}`;
}

interface WireNode {
  id: string;
  revision: number;
  sizeBytes: number;
  trashedAt: string | null;
  currentVersion: { id: string; sizeBytes: number } | null;
}
interface WireUpload {
  id: string;
  sizeBytes: number;
  partSizeBytes: number;
  partCount: number;
  parts: { partNumber: number; sizeBytes: number; sha256: string }[];
  state: 'open' | 'completed';
}

// ---------------------------------------------------------------------------------------------
// What the client knows.

interface Account {
  userId: string;
  token: string;
  rootNodeId: string;
}

/** An upload whose POST /uploads was answered (so the client holds its id). */
interface Tracked {
  label: string;
  data: Buffer;
  sha256: string;
  partShas: string[];
  kind: 'new-file' | 'new-version';
  nodeId: string;
  versionId: string;
  uploadId: string;
  /** The completion request, fixed the first time it is sent and re-sent as is on resume. */
  completion?: unknown;
  /** completing: the completion was sent, no answer came back. */
  state: 'created' | 'completing' | 'completed';
}

function partCountOf(sizeBytes: number): number {
  return Math.max(1, Math.ceil(sizeBytes / PART_BYTES));
}

function partOf(data: Buffer, partNumber: number): Buffer {
  return data.subarray((partNumber - 1) * PART_BYTES, partNumber * PART_BYTES);
}

async function signUpOverHttp(base: string): Promise<Account> {
  await opaque.ready;
  const email = `crash-${randomId()}@example.com`;
  const password = 'correct horse battery staple';
  const start = opaque.client.startRegistration({ password });
  const first = await send(base, 'POST', '/auth/signup/start', {
    json: { email, registrationRequest: start.registrationRequest },
  });
  if (first.status !== 200) throw new Error(`signup/start: ${describeAnswer(first)}`);
  const finish = opaque.client.finishRegistration({
    clientRegistrationState: start.clientRegistrationState,
    registrationResponse: json<{ registrationResponse: string }>(first).registrationResponse,
    password,
    keyStretching: 'memory-constrained',
  });
  // Random bytes stand in for the wrapped keys: the server cannot tell.
  const rootNodeId = randomId();
  const second = await send(base, 'POST', '/auth/signup/finish', {
    json: {
      email,
      userId: randomId(),
      registrationRecord: finish.registrationRecord,
      keys: {
        wrappedMasterKey: fakeKey(),
        wrappedMasterKeyRecovery: fakeKey(),
        recoveryAuthKey: fake32(),
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
  if (second.status !== 201) throw new Error(`signup/finish: ${describeAnswer(second)}`);
  const { userId, session } = json<{ userId: string; session: { token: string } }>(second);
  return { userId, token: session.token, rootNodeId };
}

// ---------------------------------------------------------------------------------------------
// The data dir at rest.

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const blobPath = (dataDir: string, key: string) =>
  join(dataDir, 'blobs', key.slice(0, 2), key.slice(2, 4), key);

async function hashRange(path: string, offset: number, length: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await fh.read(buffer, read, length - read, offset + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return sha256(buffer.subarray(0, read));
  } finally {
    await fh.close();
  }
}

interface AtRest {
  usedBytes: number;
  reservedBytes: number;
  openUploads: number;
  orphanedWrites: number;
  pendingGarbage: number;
}

// ---------------------------------------------------------------------------------------------

const dialects = process.env.DATABASE_URL ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

describe.each(dialects)('kill -9 of hoard-server (%s)', (dialect) => {
  let work: string;
  let dataDir: string;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let server: SpawnedServer | undefined;
  let port: number | undefined;

  beforeAll(async () => {
    buildServer();
    await opaque.ready;
    work = mkdtempSync(join(tmpdir(), 'hoard-crash-'));
    dataDir = join(work, 'data');
    if (dialect === 'postgres') database = await createPostgresDatabase(process.env.DATABASE_URL!);
  }, 120_000);

  afterAll(async () => {
    await server?.kill();
    await database?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const start = async () => {
    server = await spawnServer({
      dataDir,
      databaseUrl: database?.url,
      ...(port ? { port } : {}),
      // Jobs run every second, so expiry and the collector run beside the uploads as in production.
      env: { HOARD_JOB_INTERVAL_SECONDS: '1' },
    });
    port = server.port;
    return server;
  };

  const withDb = async <T>(fn: (db: Db) => Promise<T>): Promise<T> => {
    const { db } = await openDatabase(
      database ? { databaseUrl: database.url, poolSize: 2 } : { sqlitePath: join(dataDir, 'hoard.sqlite3') },
    );
    try {
      return await fn(db);
    } finally {
      await db.destroy();
    }
  };

  it(`loses no completed upload and corrupts nothing across ${ROUNDS.length} kill rounds`, async () => {
    const begun = Date.now();
    let live = await start();
    const account = await signUpOverHttp(live.url);
    const tracked: Tracked[] = [];

    const call = (method: string, path: string, options: Omit<SendOptions, 'token'> = {}) =>
      send(live.url, method, path, { ...options, token: account.token });

    /** The completion request of `t` (for a new version, at the node's current revision). */
    const completionOf = async (t: Tracked): Promise<unknown> => {
      if (t.completion !== undefined) return t.completion;
      const version = { id: t.versionId, wrappedKey: fakeKey(), encryptedAttrs: fakeKey() };
      if (t.kind === 'new-file') {
        t.completion = {
          kind: 'new-file',
          node: {
            id: t.nodeId,
            parentId: account.rootNodeId,
            wrappedKey: fakeKey(),
            encryptedAttrs: fakeKey(),
            nameHash: fake32(),
          },
          version,
        };
      } else {
        const got = await call('GET', `/nodes/${t.nodeId}`);
        if (got.status !== 200) throw new Error(`${t.label}: GET node ${describeAnswer(got)}`);
        const { revision } = json<{ node: WireNode }>(got).node;
        t.completion = { kind: 'new-version', nodeId: t.nodeId, revision, version };
      }
      return t.completion;
    };

    /** After the expiry job, completed uploads are forgotten (their nodes stay). */
    let uploadsForgotten = false;

    const checkAtRest = async (context: string): Promise<AtRest> => {
      if (!database) {
        const sqlite = new SqliteDatabase(join(dataDir, 'hoard.sqlite3'));
        try {
          expect(sqlite.pragma('integrity_check'), context).toEqual([{ integrity_check: 'ok' }]);
          expect(sqlite.pragma('foreign_key_check'), context).toEqual([]);
        } finally {
          sqlite.close();
        }
      }
      return withDb(async (db) => {
        const user = await db
          .selectFrom('users')
          .select(['used_bytes', 'reserved_bytes'])
          .where('id', '=', account.userId)
          .executeTakeFirstOrThrow();
        const versions = await db.selectFrom('versions').selectAll().execute();
        const nodes = await db.selectFrom('nodes').selectAll().execute();
        const uploads = await db.selectFrom('uploads').selectAll().execute();
        const parts = await db.selectFrom('upload_parts').selectAll().execute();
        const garbage = new Set(
          (await db.selectFrom('blob_garbage').select('blob_key').execute()).map((g) => g.blob_key),
        );

        // Quota: used = the ciphertext that exists, reserved = the open uploads.
        const open = uploads.filter((u) => u.state === 'open');
        expect(user.used_bytes, `${context}: used_bytes`).toBe(
          versions.reduce((sum, v) => sum + v.size_bytes, 0),
        );
        expect(user.reserved_bytes, `${context}: reserved_bytes`).toBe(
          open.reduce((sum, u) => sum + u.size_bytes, 0),
        );

        // Every version's blob is whole and is nobody's garbage; every file node has its version.
        const versionsById = new Map(versions.map((v) => [v.id, v]));
        for (const v of versions) {
          const path = blobPath(dataDir, v.blob_key);
          expect(existsSync(path), `${context}: blob of version ${v.id}`).toBe(true);
          expect(statSync(path).size, `${context}: size of version ${v.id}`).toBe(v.size_bytes);
          expect(garbage.has(v.blob_key), `${context}: version ${v.id} blob queued as garbage`).toBe(false);
        }
        for (const n of nodes.filter((n) => n.type === 'file')) {
          const current = versionsById.get(n.current_version_id ?? '');
          expect(current?.node_id, `${context}: current version of ${n.id}`).toBe(n.id);
          expect(n.size_bytes, `${context}: size of ${n.id}`).toBe(current?.size_bytes);
        }

        // Every blob file is a version's or queued for the collector.
        const versionKeys = new Set(versions.map((v) => v.blob_key));
        for (const path of filesUnder(join(dataDir, 'blobs'))) {
          const key = path.slice(path.lastIndexOf('/') + 1);
          expect(versionKeys.has(key) || garbage.has(key), `${context}: stray blob ${key}`).toBe(true);
        }

        // Every open upload: its bytes are garbage unless completed, its file exists, and each
        // recorded part's bytes on disk are the bytes recorded.
        const partsByUpload = new Map<string, typeof parts>();
        for (const p of parts) partsByUpload.set(p.upload_id, [...(partsByUpload.get(p.upload_id) ?? []), p]);
        const tmpNames = new Set(
          existsSync(join(dataDir, 'tmp')) ? readdirSync(join(dataDir, 'tmp')) : ([] as string[]),
        );
        for (const u of open) {
          expect(garbage.has(u.blob_key), `${context}: upload ${u.id} blob not queued`).toBe(true);
          const tmp = join(dataDir, 'tmp', `${u.store_handle}.${u.blob_key}`);
          // Completion renames the file before its transaction: a kill in between leaves it there.
          const file = existsSync(tmp) ? tmp : blobPath(dataDir, u.blob_key);
          expect(existsSync(file), `${context}: bytes of open upload ${u.id}`).toBe(true);
          expect(statSync(file).size, `${context}: size of open upload ${u.id}`).toBe(u.size_bytes);
          for (const p of partsByUpload.get(u.id) ?? []) {
            const offset = (p.part_number - 1) * u.part_size_bytes;
            const expected = p.part_number < u.part_count ? u.part_size_bytes : u.size_bytes - offset;
            expect(p.size_bytes, `${context}: size of ${u.id} part ${p.part_number}`).toBe(expected);
            expect(
              await hashRange(file, offset, p.size_bytes),
              `${context}: bytes of ${u.id} part ${p.part_number}`,
            ).toBe(p.sha256_hex);
          }
        }
        const nodeIds = new Set(nodes.map((n) => n.id));
        for (const u of uploads.filter((u) => u.state === 'completed')) {
          expect(nodeIds.has(u.completed_node_id ?? ''), `${context}: node of upload ${u.id}`).toBe(true);
        }
        const named = new Set(uploads.map((u) => `${u.store_handle}.${u.blob_key}`));
        const orphanedWrites = [...tmpNames].filter((name) => !named.has(name)).length;

        // What the client knows: no answered upload forgotten, no answered completion lost.
        const uploadsById = new Map(uploads.map((u) => [u.id, u]));
        const partsOf = (id: string) => new Map((partsByUpload.get(id) ?? []).map((p) => [p.part_number, p]));
        for (const t of tracked) {
          const row = uploadsById.get(t.uploadId);
          if (!uploadsForgotten) expect(row, `${context}: upload ${t.label} lost`).toBeDefined();
          for (const [n, p] of partsOf(t.uploadId)) {
            expect(p.sha256_hex, `${context}: ${t.label} part ${n} is not the client's`).toBe(
              t.partShas[n - 1],
            );
          }
          if (t.state !== 'completed') continue;
          if (!uploadsForgotten)
            expect(row?.state, `${context}: ${t.label} completion lost`).toBe('completed');
          const version = versionsById.get(t.versionId);
          expect(version?.node_id, `${context}: ${t.label} version lost`).toBe(t.nodeId);
          expect(version?.size_bytes, `${context}: ${t.label} version size`).toBe(t.data.length);
        }
        return {
          usedBytes: user.used_bytes,
          reservedBytes: user.reserved_bytes,
          openUploads: open.length,
          orphanedWrites,
          pendingGarbage: garbage.size,
        };
      });
    };

    /** Every answered completion is listed and downloads byte for byte. */
    const verifyCompleted = async (context: string, quota?: AtRest) => {
      if (quota) {
        const got = await call('GET', '/account');
        expect(got.status, context).toBe(200);
        const { account: wire } = json<{ account: { quota: { usedBytes: number; reservedBytes: number } } }>(
          got,
        );
        expect(wire.quota.usedBytes, `${context}: usedBytes`).toBe(quota.usedBytes);
        expect(wire.quota.reservedBytes, `${context}: reservedBytes`).toBe(quota.reservedBytes);
      }
      const children = await call('GET', `/nodes/${account.rootNodeId}/children`);
      expect(children.status, context).toBe(200);
      const listed = new Set(json<{ nodes: WireNode[] }>(children).nodes.map((n) => n.id));
      const done = tracked.filter((t) => t.state === 'completed');
      for (const t of done) {
        expect(listed.has(t.nodeId), `${context}: ${t.label} not listed`).toBe(true);
        const node = await call('GET', `/nodes/${t.nodeId}`);
        expect(node.status, `${context}: ${t.label} node`).toBe(200);
        const versions = await call('GET', `/nodes/${t.nodeId}/versions`);
        expect(versions.status, `${context}: ${t.label} versions`).toBe(200);
        const versionIds = [
          json<{ node: WireNode }>(node).node.currentVersion?.id,
          ...json<{ versions: { id: string }[] }>(versions).versions.map((v) => v.id),
        ];
        expect(versionIds, `${context}: ${t.label} version listed`).toContain(t.versionId);
        const content = await call('GET', `/versions/${t.versionId}/content`);
        expect(content.status, `${context}: ${t.label} content`).toBe(200);
        expect(sha256(content.body), `${context}: ${t.label} content bytes`).toBe(t.sha256);
      }
      return done.length;
    };

    /** Every upload that did not complete resumes from the parts the server lists, and completes. */
    const resumeUnfinished = async (context: string) => {
      const unfinished = tracked.filter((t) => t.state !== 'completed');
      await Promise.all(
        unfinished.map(async (t) => {
          const where = `${context}: resume ${t.label}`;
          const got = await call('GET', `/uploads/${t.uploadId}`);
          expect(got.status, `${where}: ${describeAnswer(got)}`).toBe(200);
          const { upload } = json<{ upload: WireUpload }>(got);
          if (upload.state === 'completed') {
            // Only a completion that was sent can have happened.
            expect(t.state, where).toBe('completing');
          } else {
            const listed = new Set<number>();
            for (const part of upload.parts) {
              listed.add(part.partNumber);
              expect(part.sha256, `${where} part ${part.partNumber}`).toBe(t.partShas[part.partNumber - 1]);
              const again = await call('PUT', `/uploads/${t.uploadId}/parts/${part.partNumber}`, {
                bytes: partOf(t.data, part.partNumber),
              });
              expect(again.status, `${where}: re-PUT ${part.partNumber}: ${describeAnswer(again)}`).toBe(200);
            }
            for (let n = 1; n <= upload.partCount; n++) {
              if (listed.has(n)) continue;
              const put = await call('PUT', `/uploads/${t.uploadId}/parts/${n}`, {
                bytes: partOf(t.data, n),
              });
              expect(put.status, `${where}: PUT ${n}: ${describeAnswer(put)}`).toBe(200);
              expect(json<{ part: { sha256: string } }>(put).part.sha256, where).toBe(t.partShas[n - 1]);
            }
          }
          const completed = await call('POST', `/uploads/${t.uploadId}/complete`, {
            json: await completionOf(t),
          });
          expect(completed.status, `${where}: complete ${describeAnswer(completed)}`).toBe(
            upload.state === 'completed' ? 200 : 201,
          );
          expect(json<{ node: WireNode }>(completed).node.id, where).toBe(t.nodeId);
          t.state = 'completed';
        }),
      );
      return unfinished.length;
    };

    for (const [round, mode] of ROUNDS.entries()) {
      const seed = BASE_SEED + round;
      const rng = new Rng(seed);
      const context = `round ${round} (${mode}, seed ${seed})`;
      const server = live;
      let killedBy: string | undefined;
      const kill = (why: string) => {
        if (killedBy !== undefined) return;
        killedBy = why;
        server.process.kill('SIGKILL');
      };
      const failures: string[] = [];

      // The round's uploads: one multi-part (three parts on even rounds, two on odd ones), the rest
      // small or empty; some are new versions of files completed in earlier rounds.
      const targets = rng.shuffle(tracked.filter((t) => t.kind === 'new-file' && t.state === 'completed'));
      const plans = Array.from({ length: UPLOADS_PER_ROUND }, (_, i) => {
        const sizeBytes =
          i > 0
            ? [0, rng.int(1, 64 * 1024), rng.int(64 * 1024, 1 * MiB)][rng.int(0, 2)]!
            : round % 2 === 0
              ? rng.int(2 * PART_BYTES + 1, 2 * PART_BYTES + 2 * MiB)
              : rng.int(PART_BYTES + 1, PART_BYTES + 4 * MiB);
        const target = i % 3 === 2 ? targets.pop() : undefined;
        return {
          label: `r${round}u${i}`,
          data: randomBytes(sizeBytes),
          nodeId: target?.nodeId ?? randomId(),
          kind: target ? ('new-version' as const) : ('new-file' as const),
          startDelayMs: rng.int(0, 60),
          partOrder: rng.shuffle(Array.from({ length: partCountOf(sizeBytes) }, (_, n) => n + 1)),
          partDelaysMs: Array.from({ length: partCountOf(sizeBytes) }, () => rng.int(0, 20)),
          completeDelayMs: rng.int(0, 30),
        };
      });
      const partBytes = plans.reduce((sum, p) => sum + p.data.length, 0);

      // The kill trigger for this round's mode.
      let sentPartBytes = 0;
      let completionsSent = 0;
      let completionsAnswered = 0;
      const partThreshold = rng.int(Math.floor(partBytes * 0.1), Math.floor(partBytes * 0.8));
      const nth = rng.int(1, 3);
      const delayMs = mode === 'timer' ? rng.int(20, 250) : rng.int(0, 8);
      const onPartBytes = (n: number) => {
        sentPartBytes += n;
        if (mode === 'parts' && sentPartBytes >= partThreshold) kill(`${sentPartBytes} part bytes sent`);
      };
      const onCompletionSent = () => {
        completionsSent++;
        if (mode === 'completion' && completionsSent === nth) {
          setTimeout(() => kill(`${delayMs} ms after completion #${nth} was sent`), delayMs);
        }
      };
      const onCompletionAnswered = () => {
        completionsAnswered++;
        if (mode === 'after-completion' && completionsAnswered === nth) {
          kill(`right after completion #${nth} was answered`);
        }
      };
      const timer =
        mode === 'timer' ? setTimeout(() => kill(`${delayMs} ms into the round`), delayMs) : undefined;

      const request = (method: string, path: string, options: Omit<SendOptions, 'token'> = {}) => {
        if (killedBy !== undefined) return Promise.reject(new NoAnswer('killed'));
        return call(method, path, options);
      };

      const tasks = plans.map(async (plan) => {
        await sleep(plan.startDelayMs);
        const created = await request('POST', '/uploads', { json: { sizeBytes: plan.data.length } });
        if (created.status !== 201) throw new Error(`${plan.label}: create ${describeAnswer(created)}`);
        const { upload } = json<{ upload: WireUpload }>(created);
        const partCount = partCountOf(plan.data.length);
        if (upload.partSizeBytes !== PART_BYTES || upload.partCount !== partCount) {
          throw new Error(`${plan.label}: unexpected geometry ${JSON.stringify(upload)}`);
        }
        const t: Tracked = {
          label: plan.label,
          data: plan.data,
          sha256: sha256(plan.data),
          partShas: Array.from({ length: partCount }, (_, n) => sha256(partOf(plan.data, n + 1))),
          kind: plan.kind,
          nodeId: plan.nodeId,
          versionId: randomId(),
          uploadId: upload.id,
          state: 'created',
        };
        tracked.push(t);
        // Every part in flight at once, in a seeded order.
        await Promise.all(
          plan.partOrder.map(async (n, i) => {
            await sleep(plan.partDelaysMs[i]!);
            const put = await request('PUT', `/uploads/${t.uploadId}/parts/${n}`, {
              bytes: partOf(t.data, n),
              onBytes: onPartBytes,
            });
            if (put.status !== 200) throw new Error(`${t.label}: PUT ${n} ${describeAnswer(put)}`);
            const { part } = json<{ part: { sha256: string } }>(put);
            if (part.sha256 !== t.partShas[n - 1]) throw new Error(`${t.label}: part ${n} hash differs`);
          }),
        );
        await sleep(plan.completeDelayMs);
        const body = await completionOf(t);
        if (killedBy !== undefined) return;
        t.state = 'completing';
        const answer = request('POST', `/uploads/${t.uploadId}/complete`, { json: body });
        onCompletionSent();
        const completed = await answer;
        if (completed.status !== 201) throw new Error(`${t.label}: complete ${describeAnswer(completed)}`);
        // Answered: from here on the upload must survive anything.
        t.state = 'completed';
        onCompletionAnswered();
      });
      const settled = await Promise.allSettled(tasks);
      clearTimeout(timer);
      for (const result of settled) {
        if (result.status === 'fulfilled') continue;
        // A request cut off by the kill is expected; any answer that came back must be right.
        if (result.reason instanceof NoAnswer && killedBy !== undefined) continue;
        failures.push(String((result.reason as Error).stack ?? result.reason));
      }
      expect(failures, `${context}: requests before the kill\n${server.stderr()}`).toEqual([]);
      // Nothing left in flight: the kill still happens, on an idle server.
      kill('after the round, nothing in flight');
      await server.kill();
      // Only an answer the kill cut off is unknown; tasks whose kill came before they sent stay 'created'.

      const atRest = await checkAtRest(`${context} at rest`);
      live = await start();
      const verified = await verifyCompleted(`${context} after restart`, atRest);
      const resumed = await resumeUnfinished(`${context} after restart`);
      await verifyCompleted(`${context} after resuming`);
      console.log(
        `[crash-safety ${dialect}] ${context}: killed ${killedBy}; ` +
          `${verified} completed uploads intact, ${resumed} resumed, ` +
          `${atRest.openUploads} open uploads and ${atRest.orphanedWrites} orphaned writes at rest`,
      );
    }

    // The jobs, as main.ts runs them, a day and more later: open uploads nobody finished expire,
    // their bytes and every orphaned write are collected, and only the versions' blobs remain.
    await live.kill();
    const later = Date.now() + 26 * HOUR_MS;
    const twoHoursAgo = new Date(Date.now() - 2 * HOUR_MS);
    for (const path of filesUnder(join(dataDir, 'tmp'))) utimesSync(path, twoHoursAgo, twoHoursAgo);
    await withDb(async (db) => {
      await runJobs({
        config: parseConfig({ dataDir }),
        db,
        blobStore: new FsBlobStore({ rootDir: dataDir }),
        clock: { now: () => later },
      });
      const versions = await db.selectFrom('versions').select(['blob_key', 'size_bytes']).execute();
      const onDisk = filesUnder(join(dataDir, 'blobs'))
        .map((path) => path.slice(path.lastIndexOf('/') + 1))
        .sort();
      expect(onDisk, 'after the jobs: blobs on disk = blobs of versions').toEqual(
        versions.map((v) => v.blob_key).sort(),
      );
      expect(filesUnder(join(dataDir, 'tmp')), 'after the jobs: unfinished writes').toEqual([]);
      expect(await db.selectFrom('blob_garbage').selectAll().execute(), 'after the jobs').toEqual([]);
      expect(await db.selectFrom('uploads').selectAll().execute(), 'after the jobs').toEqual([]);
    });
    uploadsForgotten = true;
    const final = await checkAtRest('after the jobs');
    expect(final.reservedBytes).toBe(0);
    expect(final.usedBytes).toBe(
      tracked.filter((t) => t.state === 'completed').reduce((sum, t) => sum + t.data.length, 0),
    );
    live = await start();
    const total = await verifyCompleted('after the jobs and a restart', final);
    expect(total).toBe(tracked.length);
    await live.stop();
    console.log(
      `[crash-safety ${dialect}] ${ROUNDS.length} kill rounds, ${total} uploads intact, ` +
        `${((Date.now() - begun) / 1000).toFixed(1)} s`,
    );
  }, 180_000);
});
