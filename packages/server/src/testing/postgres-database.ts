// Throwaway PostgreSQL databases for tests: CREATE DATABASE hoard_test_<random> under the server
// that `adminUrl` names, and DROP ... WITH (FORCE) when done, so that parallel test files (and a
// test that kills a server holding connections) never collide or leave anything behind. The one
// place that does this: the server's own suites, the spawned-server tests and the CLI's end-to-end
// tests (through @hoard/server/testing) all come here. Used by tests only.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database made for one test run. */
export interface PostgresTestDatabase {
  /** Its name (hoard_test_<12 hex digits>). */
  name: string;
  /** `adminUrl` with the path pointing at this database. */
  url: string;
  /** Drops it, closing whatever connections are still open to it. */
  drop(): Promise<void>;
}

/** Runs one statement on its own short-lived connection (CREATE/DROP DATABASE refuse transactions). */
async function runAlone(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty database under the PostgreSQL server at `adminUrl` (e.g. DATABASE_URL).
 * @example
 * const database = await createPostgresDatabase(process.env.DATABASE_URL!);
 * try { ... database.url ... } finally { await database.drop(); }
 */
export async function createPostgresDatabase(adminUrl: string): Promise<PostgresTestDatabase> {
  // Random hex only: the name goes into SQL as an identifier, which cannot be a bound parameter.
  const name = `hoard_test_${randomBytes(6).toString('hex')}`;
  await runAlone(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => runAlone(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
