import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../app.js';
import { ManualClock } from '../clock.js';
import { parseConfig, type Config } from '../config.js';
import { openDatabase, sqlitePathIn } from '../db/database.js';
import { MemoryBlobStore } from '../testing/memory-blob-store.js';
import { signUp } from '../testing/test-app.js';
import { runAdmin } from './run-admin.js';

describe('hoard-server admin', () => {
  let dataDir: string;
  let config: Config;
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (line: string) => out.push(line), err: (line: string) => err.push(line) };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'hoard-admin-'));
    config = parseConfig({ dataDir });
    out.length = 0;
    err.length = 0;
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('lists the accounts of the database the server would use', async () => {
    const { db } = await openDatabase({ sqlitePath: sqlitePathIn(dataDir) });
    const app = await createApp({ config, db, blobStore: new MemoryBlobStore(), clock: new ManualClock() });
    await signUp(app, 'first@example.com');
    await signUp(app, 'second@example.com');
    await app.close();
    await db.destroy();

    expect(await runAdmin(config, ['users', '--json'], io)).toBe(0);
    const users = JSON.parse(out.join('\n')) as { email: string; usedBytes: number; quotaBytes: number }[];
    expect(users.map((u) => u.email).sort()).toEqual(['first@example.com', 'second@example.com']);
    expect(users[0]).toMatchObject({ usedBytes: 0, quotaBytes: config.freeQuotaBytes });
  });

  it('answers an unknown command or flag with the usage and exit code 2', async () => {
    expect(await runAdmin(config, ['no-such-command'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/unknown admin command "no-such-command"[\s\S]*users/);
    err.length = 0;
    expect(await runAdmin(config, ['users', '--bogus'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/usage: hoard-server admin users \[--json\]/);
  });
});
