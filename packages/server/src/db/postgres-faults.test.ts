// PostgreSQL lost mid-request: the server reaches a real PostgreSQL through a TCP relay that the
// test cuts (every connection dropped, new ones refused). A part and a completion sent while it is
// cut fail cleanly (5xx, nothing half-committed: no node, the bytes still only reserved), and the
// client's retries succeed once PostgreSQL is reachable again, on the same server process.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Upload } from '@hoard/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.js';
import { ManualClock } from '../clock.js';
import { parseConfig } from '../config.js';
import { FsBlobStore } from '../storage/fs-blob-store.js';
import { describeWhen } from '../testing/describe-when.js';
import { createPostgresDatabase, type PostgresTestDatabase } from '../testing/postgres-database.js';
import { Relay } from '../testing/tcp-relay.js';
import { newFileCompletion, signUp, type TestAccount } from '../testing/test-app.js';
import { openDatabase } from './database.js';
import type { Db } from './schema.js';

const adminUrl = process.env.DATABASE_URL;

describeWhen('the server when PostgreSQL goes away mid-request', { DATABASE_URL: adminUrl }, () => {
  let database: PostgresTestDatabase;
  let relay: Relay;
  let viaRelay: Db;
  let direct: Db;
  let app: FastifyInstance;
  let dataDir: string;
  let account: TestAccount;

  beforeAll(async () => {
    database = await createPostgresDatabase(adminUrl!);
    const target = new URL(database.url);
    relay = new Relay(new URL(`tcp://${target.hostname}:${target.port || 5432}`));
    await relay.up();
    const relayed = new URL(target);
    relayed.hostname = '127.0.0.1';
    relayed.port = String(relay.port);
    viaRelay = (await openDatabase({ databaseUrl: relayed.toString(), poolSize: 4 })).db;
    direct = (await openDatabase({ databaseUrl: target.toString(), poolSize: 2 })).db;
    dataDir = await mkdtemp(join(tmpdir(), 'hoard-pg-faults-'));
    app = await createApp({
      config: parseConfig({ dataDir }),
      db: viaRelay,
      blobStore: new FsBlobStore({ rootDir: dataDir }),
      clock: new ManualClock(Date.now()),
    });
    await app.ready();
    account = await signUp(app);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await viaRelay?.destroy();
    await direct?.destroy();
    await relay?.cut();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function quota(): Promise<{ used: number; reserved: number }> {
    const row = await direct
      .selectFrom('users')
      .select(['used_bytes', 'reserved_bytes'])
      .where('id', '=', account.userId)
      .executeTakeFirstOrThrow();
    return { used: Number(row.used_bytes), reserved: Number(row.reserved_bytes) };
  }

  it('fails a part and a completion cleanly while it is unreachable; the retries succeed', async () => {
    const auth = account.headers;
    const blob = randomBytes(5000);
    const created = await app.inject({
      method: 'POST',
      url: '/uploads',
      headers: auth,
      payload: { sizeBytes: blob.byteLength },
    });
    expect(created.statusCode, created.body).toBe(201);
    const upload = created.json<{ upload: Upload }>().upload;
    const nodeId = randomBytes(16).toString('base64url');
    const put = () =>
      app.inject({
        method: 'PUT',
        url: `/uploads/${upload.id}/parts/1`,
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        payload: blob,
      });
    const complete = () =>
      app.inject({
        method: 'POST',
        url: `/uploads/${upload.id}/complete`,
        headers: auth,
        payload: newFileCompletion(account.rootNodeId, nodeId),
      });

    await relay.cut();
    const lostPart = await put();
    expect(lostPart.statusCode).toBeGreaterThanOrEqual(500);
    const partsRecorded = await direct
      .selectFrom('upload_parts')
      .select('part_number')
      .where('upload_id', '=', upload.id)
      .execute();
    expect(partsRecorded).toEqual([]);
    await relay.up();
    const retriedPart = await put();
    expect(retriedPart.statusCode, retriedPart.body).toBe(200);

    await relay.cut();
    const lostCompletion = await complete();
    expect(lostCompletion.statusCode).toBeGreaterThanOrEqual(500);
    // Nothing half-committed: no node, no version, the bytes still only reserved.
    expect(await direct.selectFrom('nodes').select('id').where('id', '=', nodeId).execute()).toEqual([]);
    expect(await quota()).toEqual({ used: 0, reserved: blob.byteLength });
    await relay.up();
    const done = await complete();
    expect(done.statusCode, done.body).toBe(201);
    expect(await quota()).toEqual({ used: blob.byteLength, reserved: 0 });
    const got = await app.inject({ method: 'GET', url: `/nodes/${nodeId}/content`, headers: auth });
    expect(got.rawPayload.equals(blob)).toBe(true);
  }, 60_000);
});
