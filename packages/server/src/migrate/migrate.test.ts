// `hoard-server migrate` end to end, with real processes: a one-box server (SQLite + local blobs)
// holds an account, two files and an open upload; the migration moves it to PostgreSQL + S3; a
// fleet server on the target then logs the same account in (same OPAQUE secrets) and serves the
// same bytes. A second run resumes (changes nothing, verifies again). While the marker is there, a
// one-box server refuses changes and keeps serving reads.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Upload } from '@hoard/protocol';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWhen } from '../testing/describe-when.js';
import { call, logIn, signUp } from '../testing/http-account.js';
import { createPostgresDatabase } from '../testing/postgres-database.js';
import { buildServer, serverMain, spawnServer } from '../testing/spawn-server.js';
import { newFileCompletion } from '../testing/test-app.js';
import { hoardS3Env, testS3Settings } from '../testing/test-s3.js';
import { READ_ONLY_MARKER } from './read-only.js';

const s3 = testS3Settings(process.env);
const adminUrl = process.env.DATABASE_URL;
const MiB = 1024 * 1024;
const id = () => randomBytes(16).toString('base64url');

function runMigrate(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [serverMain, 'migrate', ...args],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describeWhen('hoard-server migrate', { DATABASE_URL: adminUrl, S3_ENDPOINT: s3 }, () => {
  let dataDir: string;
  let target: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    buildServer();
    dataDir = await mkdtemp(join(tmpdir(), 'hoard-migrate-'));
    target = await createPostgresDatabase(adminUrl!);
  });
  afterAll(async () => {
    await target?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('moves a one box to PostgreSQL + S3, verified and resumable, and the fleet serves it', async () => {
    const email = `m-${id()}@example.com`;
    const password = 'correct horse battery';
    const files = [randomBytes(9 * MiB), randomBytes(1234)];
    const versionIds: string[] = [];
    const box = await spawnServer({ dataDir });
    try {
      const { token, rootNodeId } = await signUp(box.url, email, password);
      for (const blob of files) {
        const created = await call(box.url, 'POST', '/uploads', {
          token,
          json: { sizeBytes: blob.byteLength },
        });
        const upload = created.body.upload as Upload;
        expect(upload.partTransfer).toBe('server');
        for (let n = 1; n <= upload.partCount; n++) {
          const part = blob.subarray((n - 1) * upload.partSizeBytes, n * upload.partSizeBytes);
          const res = await fetch(`${box.url}/uploads/${upload.id}/parts/${n}`, {
            method: 'PUT',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
            body: part,
          });
          expect(res.status).toBe(200);
        }
        const done = await call(box.url, 'POST', `/uploads/${upload.id}/complete`, {
          token,
          json: newFileCompletion(rootNodeId),
        });
        expect(done.status).toBe(201);
        versionIds.push(done.body.node.currentVersion.id as string);
      }
      // An open upload: left behind, its reservation released on the target.
      expect((await call(box.url, 'POST', '/uploads', { token, json: { sizeBytes: 777 } })).status).toBe(201);

      // Read-only while a migration runs: changes refused, reads served.
      await writeFile(join(dataDir, READ_ONLY_MARKER), 'test\n');
      const refused = await call(box.url, 'POST', '/uploads', { token, json: { sizeBytes: 1 } });
      expect(refused.status).toBe(503);
      expect((await call(box.url, 'GET', '/auth/session', { token })).status).toBe(200);
      await rm(join(dataDir, READ_ONLY_MARKER));
    } finally {
      await box.stop();
    }

    const env = hoardS3Env(s3!);
    const first = await runMigrate(['--data', dataDir, '--to-database', target.url, '--to-s3'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/table users: 1 rows/);
    expect(first.stdout).toMatch(/blob 2\/2 verified/);
    expect(first.stdout).toMatch(/1 open upload\(s\) left behind/);
    // Resumable: a second run finds everything there and verifies it again.
    const again = await runMigrate(['--data', dataDir, '--to-database', target.url, '--to-s3'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/blob 2\/2 verified/);

    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ used: string; reserved: string }>(
        'SELECT used_bytes AS used, reserved_bytes AS reserved FROM users',
      );
      expect(rows.map((r) => [Number(r.used), Number(r.reserved)])).toEqual([
        [files[0]!.length + files[1]!.length, 0],
      ]);
    } finally {
      await client.end();
    }

    const fleetDir = await mkdtemp(join(tmpdir(), 'hoard-migrated-'));
    const fleet = await spawnServer({ dataDir: fleetDir, databaseUrl: target.url, env });
    try {
      const login = await logIn(fleet.url, email, password);
      expect(login.status).toBe(200);
      const token = login.body.session.token as string;
      for (const [i, versionId] of versionIds.entries()) {
        const located = await call(fleet.url, 'GET', `/versions/${versionId}/location`, { token });
        const got = Buffer.from(await (await fetch(located.body.location.url as string)).arrayBuffer());
        expect(got.equals(files[i]!)).toBe(true);
      }
    } finally {
      await fleet.stop();
      await rm(fleetDir, { recursive: true, force: true });
    }
  });

  it('refuses to run without a target database or bucket, saying what is missing', async () => {
    const noDb = await runMigrate(['--data', dataDir, '--to-s3'], hoardS3Env(s3!));
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toMatch(/--to-database/);
    const noBucket = await runMigrate(['--data', dataDir, '--to-database', target.url, '--to-s3'], {
      HOARD_S3_BUCKET: '',
      HOARD_S3_ENDPOINT: '',
      HOARD_S3_ACCESS_KEY_ID: '',
      HOARD_S3_SECRET_ACCESS_KEY: '',
    });
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toMatch(/HOARD_S3_BUCKET/);
  });
});
