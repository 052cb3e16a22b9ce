// Databases for tests: SQLite in memory always; PostgreSQL when DATABASE_URL is set, in a fresh
// database per call (CREATE DATABASE hoard_test_<random>, dropped by `destroy`), so that parallel
// test files never collide. Used by tests only; never by the running server.
import { openDatabase, type Dialect } from '../db/database.js';
import type { Db } from '../db/schema.js';
import { createPostgresDatabase } from './postgres-database.js';

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
  const database = await createPostgresDatabase(databaseUrl);
  try {
    const { db } = await openDatabase({ databaseUrl: database.url, poolSize: 5 });
    return {
      db,
      dialect,
      async destroy() {
        await db.destroy();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}
