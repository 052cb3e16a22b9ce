// N servers starting at once on one fresh PostgreSQL database: each migrates under Kysely's advisory
// lock, so every migration runs exactly once and none of them fails on a half-made schema.
import { expect, it } from 'vitest';
import { describeWhen } from '../testing/describe-when.js';
import { createPostgresDatabase } from '../testing/postgres-database.js';
import { migrations } from './migrations.js';
import { openDatabase } from './database.js';

const adminUrl = process.env.DATABASE_URL;

describeWhen('migrations on PostgreSQL', { DATABASE_URL: adminUrl }, () => {
  it('run exactly once when several servers start together', async () => {
    const database = await createPostgresDatabase(adminUrl!);
    try {
      const opened = await Promise.all(
        Array.from({ length: 6 }, () => openDatabase({ databaseUrl: database.url, poolSize: 2 })),
      );
      const { db } = opened[0]!;
      const rows = await (db as unknown as import('kysely').Kysely<{ hoard_migrations: { name: string } }>)
        .selectFrom('hoard_migrations')
        .select('name')
        .execute();
      expect(rows.map((r) => r.name).sort()).toEqual(Object.keys(migrations).sort());
      await Promise.all(opened.map((o) => o.db.destroy()));
    } finally {
      await database.drop();
    }
  });
});
