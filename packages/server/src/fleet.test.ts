// Fleet mode with real processes: two hoard-servers on one PostgreSQL database, one S3 bucket (Ceph
// RGW in CI) and one Redis. Nothing a request needs lives in one server's memory: an upload begun
// through A resumes through B after A is killed (kill -9), a session made on A works on B, quota
// holds under concurrent uploads through both, login limits count across both, and the data
// directories never hold a blob byte. Also: a store or database unreachable at start stops the
// server with a clear message and a non-zero exit.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as opaque from '@serenity-kit/opaque';
import type { PartTargetResponse, Upload } from '@hoard/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWhen } from './testing/describe-when.js';
import { call, signUp } from './testing/http-account.js';
import { createPostgresDatabase } from './testing/postgres-database.js';
import { buildServer, serverMain, spawnServer, type SpawnedServer } from './testing/spawn-server.js';
import { newFileCompletion } from './testing/test-app.js';
import { hoardS3Env, testS3Settings } from './testing/test-s3.js';

const MiB = 1024 * 1024;
const s3 = testS3Settings(process.env);
const adminUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const md5B64 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('base64');
const id = () => randomBytes(16).toString('base64url');

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Runs hoard-server with `env` and resolves its exit code and stderr (it must stop by itself). */
function runToExit(
  env: Record<string, string>,
  dataDir: string,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [serverMain, '--data', dataDir, '--port', '0'],
      { env: { ...process.env, HOARD_LOG_LEVEL: 'warn', ...env }, timeout: 60_000 },
      (error, _stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

describeWhen(
  'two servers on PostgreSQL + S3 + Redis',
  { DATABASE_URL: adminUrl, S3_ENDPOINT: s3, REDIS_URL: redisUrl },
  () => {
    let database: { url: string; drop(): Promise<void> };
    let dirs: string[] = [];
    let a: SpawnedServer;
    let b: SpawnedServer;
    let env: Record<string, string>;

    beforeAll(async () => {
      buildServer();
      database = await createPostgresDatabase(adminUrl!);
      dirs = [
        await mkdtemp(join(tmpdir(), 'hoard-fleet-a-')),
        await mkdtemp(join(tmpdir(), 'hoard-fleet-b-')),
      ];
      env = {
        ...hoardS3Env(s3!),
        REDIS_URL: redisUrl!,
        HOARD_REDIS_KEY_PREFIX: `hoard-test-${id()}:`,
        HOARD_FREE_QUOTA_BYTES: String(20 * MiB),
      };
      // Both at once: they migrate the same fresh database together.
      [a, b] = await Promise.all([
        spawnServer({ dataDir: dirs[0]!, databaseUrl: database.url, env }),
        spawnServer({ dataDir: dirs[1]!, databaseUrl: database.url, env }),
      ]);
    });

    afterAll(async () => {
      await Promise.all([a?.kill(), b?.kill()]);
      await database?.drop();
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    });

    it('accepts on B a session made on A', async () => {
      const { token } = await signUp(a.url, `s-${id()}@example.com`, 'correct horse battery');
      expect((await call(b.url, 'GET', '/auth/session', { token })).status).toBe(200);
    });

    it('never lets concurrent uploads through both servers exceed the quota', async () => {
      const { token } = await signUp(a.url, `q-${id()}@example.com`, 'correct horse battery');
      const answers = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          call(i % 2 === 0 ? a.url : b.url, 'POST', '/uploads', { token, json: { sizeBytes: 6 * MiB } }),
        ),
      );
      const created = answers.filter((r) => r.status === 201).length;
      expect(created).toBe(3); // 3 x 6 MiB <= 20 MiB < 4 x 6 MiB
      expect(
        answers.filter((r) => r.status !== 201).every((r) => r.body.error.code === 'QUOTA_EXCEEDED'),
      ).toBe(true);
    });

    it('counts login attempts for one e-mail across both servers', async () => {
      const email = `l-${id()}@example.com`;
      await signUp(a.url, email, 'correct horse battery');
      await opaque.ready;
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        const { startLoginRequest } = opaque.client.startLogin({ password: 'wrong' });
        const res = await call(i % 2 === 0 ? a.url : b.url, 'POST', '/auth/login/start', {
          json: { email, startLoginRequest },
        });
        statuses.push(res.status);
      }
      // 10 attempts per e-mail per window (the default), wherever they land.
      expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
      expect(statuses[10]).toBe(429);
    });

    it('resumes through B an upload begun through A after A is killed, and B serves the same bytes', async () => {
      const { token, rootNodeId } = await signUp(a.url, `r-${id()}@example.com`, 'correct horse battery');
      const blob = randomBytes(8 * MiB + 1234);
      const created = await call(a.url, 'POST', '/uploads', { token, json: { sizeBytes: blob.byteLength } });
      const upload = created.body.upload as Upload;
      expect(upload.partTransfer).toBe('direct');
      const parts = [blob.subarray(0, upload.partSizeBytes), blob.subarray(upload.partSizeBytes)];
      const send = async (base: string, n: number) => {
        const bytes = parts[n - 1]!;
        const res = await call(base, 'POST', `/uploads/${upload.id}/parts/${n}/target`, {
          token,
          json: { sha256: sha256Hex(bytes), md5: md5B64(bytes) },
        });
        const { target } = res.body as PartTargetResponse;
        const put = await fetch(target!.url, {
          method: 'PUT',
          headers: target!.headers,
          body: Buffer.from(bytes),
        });
        expect(put.status).toBe(200);
      };
      await send(a.url, 1);
      await a.kill();

      const resumed = await call(b.url, 'GET', `/uploads/${upload.id}`, { token });
      expect((resumed.body.upload as Upload).parts.map((p) => p.partNumber)).toEqual([1]);
      await send(b.url, 2);
      const done = await call(b.url, 'POST', `/uploads/${upload.id}/complete`, {
        token,
        json: newFileCompletion(rootNodeId),
      });
      expect(done.status, JSON.stringify(done.body)).toBe(201);
      const versionId = done.body.node.currentVersion.id as string;
      const located = await call(b.url, 'GET', `/versions/${versionId}/location`, { token });
      const got = Buffer.from(await (await fetch(located.body.location.url as string)).arrayBuffer());
      expect(got.equals(blob)).toBe(true);
      // Proxy path through B too (the content route works in every mode).
      const proxied = await fetch(`${b.url}/versions/${versionId}/content`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(Buffer.from(await proxied.arrayBuffer()).equals(blob)).toBe(true);

      // The bytes came from the bucket; not a byte of them is on either server's disk.
      for (const dir of dirs) expect(filesUnder(dir)).toEqual([]);
    });

    it('stops with a clear message and a non-zero exit when S3 or PostgreSQL is unreachable at start', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hoard-fleet-fault-'));
      try {
        const noS3 = await runToExit(
          { ...env, DATABASE_URL: database.url, HOARD_S3_ENDPOINT: 'http://127.0.0.1:9' },
          dir,
        );
        expect(noS3.code).not.toBe(0);
        expect(noS3.stderr).toMatch(/S3 bucket .* cannot be reached/);
        const noPg = await runToExit({ ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:9/hoard' }, dir);
        expect(noPg.code).not.toBe(0);
        expect(noPg.stderr).toMatch(/PostgreSQL \(DATABASE_URL\) cannot be opened/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  },
);
