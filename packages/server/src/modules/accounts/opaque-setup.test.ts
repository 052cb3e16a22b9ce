// The OPAQUE server setup can move out of the database into HOARD_OPAQUE_SERVER_SETUP without
// locking anyone out, and a wrong setup is refused at start instead of failing every login.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as opaque from '@serenity-kit/opaque';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAdmin } from '../../admin/run-admin.js';
import { createApp } from '../../app.js';
import { ManualClock } from '../../clock.js';
import { parseConfig, type Config } from '../../config.js';
import { openDatabase, sqlitePathIn } from '../../db/database.js';
import { MemoryBlobStore } from '../../testing/memory-blob-store.js';
import { logIn, signUp } from '../../testing/test-app.js';

describe('OPAQUE server setup outside the database', () => {
  let dataDir: string;
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (line: string) => out.push(line), err: (line: string) => err.push(line) };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'hoard-opaque-'));
    out.length = 0;
    err.length = 0;
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Starts an app on the data dir with `config`, runs `use`, closes it. */
  async function withApp(config: Config, use: (app: Awaited<ReturnType<typeof createApp>>) => Promise<void>) {
    const { db } = await openDatabase({ sqlitePath: sqlitePathIn(dataDir) });
    try {
      const app = await createApp({ config, db, blobStore: new MemoryBlobStore(), clock: new ManualClock() });
      try {
        await use(app);
      } finally {
        await app.close();
      }
    } finally {
      await db.destroy();
    }
  }

  it('moves the stored setup to the environment, and accounts still log in', async () => {
    const plain = parseConfig({ dataDir });
    await withApp(plain, async (app) => {
      await signUp(app, 'alice@example.com', 'alice password 1');
    });

    expect(await runAdmin(plain, ['opaque-setup'], io)).toBe(0);
    const setup = out[0]!;
    expect(setup.length).toBeGreaterThan(40);

    // Forgetting is refused while the environment does not hold the same setup.
    expect(await runAdmin(plain, ['opaque-setup', '--forget'], io)).toBe(1);
    expect(err.join('\n')).toMatch(/refusing to forget/);

    const fromEnv = parseConfig({ dataDir, opaqueServerSetup: setup });
    expect(await runAdmin(fromEnv, ['opaque-setup', '--forget'], io)).toBe(0);
    expect(await runAdmin(fromEnv, ['opaque-setup'], io)).toBe(1);
    expect(err.join('\n')).toMatch(/HOARD_OPAQUE_SERVER_SETUP is the only copy/);

    await withApp(fromEnv, async (app) => {
      const login = await logIn(app, 'alice@example.com', 'alice password 1');
      expect(login.statusCode).toBe(200);
    });
  });

  it('refuses to start with a setup that differs from the stored one, or is not a setup', async () => {
    await withApp(parseConfig({ dataDir }), async (app) => {
      await signUp(app, 'bob@example.com');
    });
    await opaque.ready;
    const other = parseConfig({ dataDir, opaqueServerSetup: opaque.server.createSetup() });
    await expect(withApp(other, () => Promise.resolve())).rejects.toThrow(/differs from the setup stored/);
    const garbage = parseConfig({ dataDir, opaqueServerSetup: 'not-a-setup' });
    await expect(withApp(garbage, () => Promise.resolve())).rejects.toThrow(
      /not a valid OPAQUE server setup/,
    );
  });
});
