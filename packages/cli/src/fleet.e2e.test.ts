// The hoard CLI against a fleet-mode server (blobs in S3, direct presigned transfers): the same
// commands work unchanged, part bytes go straight to the bucket (the server never takes a part
// PUT), downloads come back byte for byte, and the server's data directory holds no blob. Runs when
// S3 settings are present (CI starts Ceph RGW).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedServer, spawnServer } from '@hoard/server/testing';
import { repoRoot, runHoard } from './testing/harness.js';

const MiB = 1024 * 1024;
const { S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY } = process.env;
const haveS3 = Boolean(S3_ENDPOINT && S3_ACCESS_KEY_ID && S3_SECRET_ACCESS_KEY);

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('hoard CLI against a fleet-mode server (S3, presigned transfers)', () => {
  if (!haveS3) {
    it('runs when S3_ENDPOINT and its keys are set', () => {
      expect(process.env.CI === 'true' ? 'missing S3 in CI' : 'not needed here').toBe('not needed here');
    });
    return;
  }
  let work: string;
  let server: SpawnedServer;
  let env: Record<string, string>;
  const hoard = (args: string[]) => runHoard(args, env, { cwd: work });

  beforeAll(async () => {
    execFileSync(
      process.execPath,
      [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/cli', 'packages/server'],
      { cwd: repoRoot, stdio: 'inherit' },
    );
    work = mkdtempSync(join(tmpdir(), 'hoard-cli-fleet-'));
    server = await spawnServer({
      dataDir: join(work, 'server-data'),
      env: {
        HOARD_S3_ENDPOINT: S3_ENDPOINT!,
        HOARD_S3_BUCKET: `hoard-test-${randomBytes(6).toString('hex')}`,
        HOARD_S3_ACCESS_KEY_ID: S3_ACCESS_KEY_ID!,
        HOARD_S3_SECRET_ACCESS_KEY: S3_SECRET_ACCESS_KEY!,
        HOARD_S3_REGION: process.env.S3_REGION ?? 'us-east-1',
        HOARD_S3_FORCE_PATH_STYLE: 'true',
      },
    });
    env = {
      HOARD_SERVER: server.url,
      HOARD_HOME: join(work, 'home'),
      HOARD_PASSWORD: 'fleet password 1',
      HOME: work,
    };
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('puts and gets files through presigned URLs, and the server keeps no blob', async () => {
    expect((await hoard(['signup', 'fleet@example.com'])).code).toBe(0);
    const big = randomBytes(17 * MiB + 321);
    writeFileSync(join(work, 'big.bin'), big);
    writeFileSync(join(work, 'empty.txt'), '');
    for (const name of ['big.bin', 'empty.txt']) {
      const put = await hoard(['put', name, '/']);
      expect(put.stderr).toBe('');
      expect(put.code).toBe(0);
    }
    const get = await hoard(['get', '/big.bin', 'back.bin']);
    expect(get.stderr).toBe('');
    expect(readFileSync(join(work, 'back.bin')).equals(big)).toBe(true);
    expect((await hoard(['get', '/empty.txt', 'back.txt'])).code).toBe(0);
    expect(readFileSync(join(work, 'back.txt')).length).toBe(0);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/method="POST",route="\/uploads\/:id\/parts\/:partNumber\/target"/);
    expect(metrics).toMatch(/route="\/versions\/:versionId\/location"/);
    expect(metrics).not.toMatch(/method="PUT",route="\/uploads\/:id\/parts\/:partNumber"/);
    expect(metrics).not.toMatch(/route="\/versions\/:versionId\/content"/);
    // SQLite's files only: no blob, no unfinished part.
    const files = filesUnder(server.dataDir).map((p) => p.slice(server.dataDir.length + 1));
    expect(files.every((f) => f.startsWith('hoard.sqlite3'))).toBe(true);
  });
});
