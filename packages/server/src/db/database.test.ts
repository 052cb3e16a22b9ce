import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDialects } from '../testing/test-database.js';
import { openDatabase } from './database.js';
import { migrateToLatest, migrations } from './migrations.js';

describe('SQLite file database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hoard-db-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates once, then opens again without migrating twice, with WAL and foreign keys on', async () => {
    const path = join(dir, 'hoard.sqlite3');
    const first = await openDatabase({ sqlitePath: path });
    await first.db.destroy();
    const second = await openDatabase({ sqlitePath: path });
    try {
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(second.db);
      expect(mode.rows[0]?.journal_mode).toBe('wal');
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(second.db);
      expect(fk.rows[0]?.foreign_keys).toBe(1);
      const applied = await sql<{ name: string }>`select name from hoard_migrations`.execute(second.db);
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations));
    } finally {
      await second.db.destroy();
    }
  });

  it('runs the same query again with other values, after a stream of it was abandoned midway', async () => {
    const { db } = await openDatabase({ sqlitePath: ':memory:' });
    try {
      await db
        .insertInto('blob_garbage')
        .values([1, 2, 3].map((n) => ({ blob_key: `k${n}`, user_id: 'u', due_at: n })))
        .execute();
      const query = (from: number) =>
        db.selectFrom('blob_garbage').select('blob_key').where('due_at', '>=', from).orderBy('due_at');
      for await (const row of query(1).stream()) {
        expect(row.blob_key).toBe('k1');
        break;
      }
      expect((await query(1).execute()).map((r) => r.blob_key)).toEqual(['k1', 'k2', 'k3']);
      expect((await query(3).execute()).map((r) => r.blob_key)).toEqual(['k3']);
      await db.deleteFrom('blob_garbage').where('blob_key', '=', 'k3').execute();
      expect((await query(2).execute()).map((r) => r.blob_key)).toEqual(['k2']);
    } finally {
      await db.destroy();
    }
  });
});

for (const dialect of testDialects(process.env)) {
  describe(`database (${dialect})`, () => {
    it('reads bigint columns back as JS numbers, beyond 2^32', async () => {
      const test = await createTestDatabase(dialect, process.env.DATABASE_URL);
      try {
        await test.db
          .insertInto('blob_garbage')
          .values({ blob_key: 'k', user_id: 'u', due_at: 2 ** 52 + 1 })
          .execute();
        const row = await test.db.selectFrom('blob_garbage').selectAll().executeTakeFirstOrThrow();
        expect(row.due_at).toBe(2 ** 52 + 1);
        const count = await test.db
          .selectFrom('blob_garbage')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        expect(count.n).toBe(1);
      } finally {
        await test.destroy();
      }
    });

    it('lets several servers migrate the same database at once', async () => {
      const test = await createTestDatabase(dialect, process.env.DATABASE_URL);
      try {
        await Promise.all([1, 2, 3].map(() => migrateToLatest(test.db as never)));
        const applied = await sql<{ name: string }>`select name from hoard_migrations`.execute(test.db);
        expect(applied.rows).toHaveLength(Object.keys(migrations).length);
      } finally {
        await test.destroy();
      }
    });
  });
}
