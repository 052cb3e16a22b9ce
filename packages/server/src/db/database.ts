// Opens the metadata database: SQLite (better-sqlite3: WAL, foreign keys on, busy timeout) on one
// box, PostgreSQL (pg Pool) in a fleet; the same Kysely query code runs on both. Migrates at open.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase as KyselySqlite } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations.js';
import type { Db } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseOptions {
  /** postgres://... ; absent means SQLite. */
  databaseUrl?: string | undefined;
  /** SQLite file, or ':memory:'. Used when databaseUrl is absent. */
  sqlitePath?: string;
  /** Connections in the PostgreSQL pool. */
  poolSize?: number;
  /** Told about errors of idle PostgreSQL connections (they are replaced on the next query). */
  onPoolError?: (error: Error) => void;
}

export interface OpenedDatabase {
  db: Db;
  dialect: Dialect;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** A pg type parser set for this pool only: int8 (bigint, count(*)) and numeric come back as numbers. */
function pgTypes(): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
      const parser: unknown =
        format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
      return parser;
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

/** How many distinct SQL texts keep a prepared statement (a server runs well under 200). */
const STATEMENT_CACHE_SIZE = 500;

/**
 * The SQLite connection as Kysely sees it, reusing one prepared statement per SQL text: Kysely
 * prepares every query afresh, and compiling the ~30 statements of a small file's upload cost
 * about a millisecond of the one thread that every request shares. Kysely runs one query at a time
 * on this connection; should a statement still be busy all the same (a stream not closed), the
 * caller gets a fresh one rather than an error.
 */
function withStatementCache(sqlite: SqliteDatabase.Database): KyselySqlite {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      const cached = statements.get(sql);
      if (cached && !cached.busy) return cached;
      const statement = sqlite.prepare(sql);
      if (cached) return statement;
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      statements.set(sql, statement);
      return statement;
    },
  };
}

/** Opens (creating if needed) and migrates the database. */
export async function openDatabase(options: DatabaseOptions): Promise<OpenedDatabase> {
  let db: Db;
  let dialect: Dialect;
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      types: pgTypes(),
    });
    // An idle client whose connection drops (PostgreSQL restarted) emits 'error' on the pool;
    // unhandled, that would crash the process. The pool replaces the client on the next query.
    pool.on('error', (error) => options.onPoolError?.(error));
    // A connection that drops while its client is checked out (between two queries of a request)
    // emits 'error' on the client, where the pool listens only while the client is idle: without a
    // listener of our own that would be an uncaught exception, and the process would die. The
    // request's next query fails and the request answers 5xx; the pool replaces the connection.
    pool.on('connect', (client) => {
      client.on('error', (error) => options.onPoolError?.(error));
    });
    db = new Kysely({ dialect: new PostgresDialect({ pool }) });
    dialect = 'postgres';
  } else {
    const path = options.sqlitePath ?? ':memory:';
    const sqlite = new SqliteDatabase(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    db = new Kysely({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    dialect = 'sqlite';
  }
  try {
    await migrateToLatest(db as Kysely<unknown>);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, dialect };
}

/** The SQLite file inside a data directory (created if missing). */
export function sqlitePathIn(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  return join(dataDir, 'hoard.sqlite3');
}
