// Databases for tests: SQLite in memory always; PostgreSQL when DATABASE_URL is set, in a fresh
// database per call (CREATE DATABASE hoard_test_<random>, dropped by `destroy`), so that parallel
// test files never collide. Used by tests only; never by the running server.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Dialect } from '../db/database.js';
import type { Db } from '../db/schema.js';

export interface TestDatabase {
  db: Db;
  dialect: Dialect;
  /** Closes the connections and drops the PostgreSQL database. */
  destroy(): Promise<void>;
}

/** The dialects to run database tests on: SQLite always, PostgreSQL when DATABASE_URL is set. */
export function testDialects(env: Record<string, string | undefined>): Dialect[] {
  return env.DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** A fresh, migrated database of the given dialect. */
export async function createTestDatabase(dialect: Dialect, databaseUrl?: string): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const { db } = await openDatabase({ sqlitePath: ':memory:' });
    return { db, dialect, destroy: () => db.destroy() };
  }
  if (!databaseUrl) throw new Error('DATABASE_URL is needed for PostgreSQL tests');
  const name = `hoard_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  const { db } = await openDatabase({ databaseUrl: url.toString(), poolSize: 5 });
  return {
    db,
    dialect,
    async destroy() {
      await db.destroy();
      const cleanup = new pg.Client({ connectionString: databaseUrl });
      await cleanup.connect();
      try {
        await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}
