// A server that swaps an account's published public keys (so that what others share with the
// account would be sealed to keys it controls) is caught by the account's own client at login: the
// private keys it unwraps must belong to the published keys, signed by the account itself.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type SpawnedServer, spawnServer } from '@hoard/server/testing';
import { repoRoot, runHoard } from './testing/harness.js';

// The test edits the server's database directly: PostgreSQL, which CI always provides.
const adminUrl = process.env.DATABASE_URL;

describe.runIf(adminUrl !== undefined || process.env.CI === 'true')(
  'login against a server that swapped the published keys',
  () => {
    let work: string;
    let server: SpawnedServer;
    let database: { url: string; drop(): Promise<void> };
    const hoardAs = (who: string, args: string[]) =>
      runHoard(
        args,
        {
          HOARD_SERVER: server.url,
          HOARD_HOME: join(work, who),
          HOARD_PASSWORD: `${who} password 1`,
          HOME: work,
        },
        { cwd: work },
      );

    beforeAll(async () => {
      if (!adminUrl) throw new Error('DATABASE_URL is required in CI');
      execFileSync(
        process.execPath,
        [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/cli', 'packages/server'],
        { cwd: repoRoot, stdio: 'inherit' },
      );
      work = mkdtempSync(join(tmpdir(), 'hoard-cli-keys-'));
      database = await createPostgresDatabase(adminUrl);
      server = await spawnServer({ dataDir: join(work, 'server-data'), databaseUrl: database.url });
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      await database?.drop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('logs in while the keys are the account own, and refuses once the server swapped them', async () => {
      expect((await hoardAs('ada', ['signup', 'ada@example.com'])).code).toBe(0);
      expect((await hoardAs('eve', ['signup', 'eve@example.com'])).code).toBe(0);
      expect((await hoardAs('ada', ['login', 'ada@example.com'])).code).toBe(0);

      // The server publishes eve's (validly self-signed) keys as ada's.
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        await client.query(
          `update users set (public_encryption_key, public_signing_key, public_keys_signature) =
             (select public_encryption_key, public_signing_key, public_keys_signature
                from users where email = 'eve@example.com')
           where email = 'ada@example.com'`,
        );
      } finally {
        await client.end();
      }

      const refused = await hoardAs('ada', ['login', 'ada@example.com']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/^hoard: .*keys does not match the account's own[^\n]*\n$/);
      // A saved session is refused the same way when it is resumed.
      const resumed = await hoardAs('ada', ['whoami']);
      expect(resumed.code).not.toBe(0);
      expect(resumed.stderr).toMatch(/keys does not match/);
    }, 120_000);
  },
);
