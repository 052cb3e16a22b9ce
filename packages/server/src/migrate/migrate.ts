// `hoard-server migrate --to-database URL --to-s3 [--data DIR]`: moves a one-box data directory
// (SQLite + blob files) to a fleet (PostgreSQL + an S3 bucket given by the HOARD_S3_* variables, so
// that no secret appears on a command line). While it runs, the source is read-only (read-only.ts).
//
// Resumable: rows are inserted with ON CONFLICT DO NOTHING, and a blob already in the bucket with
// the right size is not sent again; run it again after any failure. Verified: row counts per table
// are compared, and every blob is read back from the bucket and its SHA-256 compared with the
// file's. Progress goes to `out` as it works.
//
// Open uploads are not moved (their unfinished parts are local files, and a fleet's uploads are S3
// multipart uploads): their reservations are released on the target, and clients start them again.
//
// Never: write to the source (other than the read-only marker); report success unless every count
// and every checksum matched.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql, type Kysely } from 'kysely';
import type { S3Config } from '../config.js';
import { openDatabase, sqlitePathIn } from '../db/database.js';
import { isBlobKey } from '../storage/blob-store.js';
import { S3BlobStore } from '../storage/s3-blob-store.js';
import { READ_ONLY_MARKER } from './read-only.js';

export const MIGRATE_USAGE = `usage: hoard-server migrate --to-database postgres://... --to-s3 [--data DIR]

Moves a one-box data directory (SQLite + blobs, default ./data) to a fleet: metadata into the
PostgreSQL database --to-database (migrated to the current schema first), blobs into the S3 bucket
named by HOARD_S3_ENDPOINT, HOARD_S3_BUCKET, HOARD_S3_ACCESS_KEY_ID, HOARD_S3_SECRET_ACCESS_KEY,
HOARD_S3_REGION, HOARD_S3_FORCE_PATH_STYLE (created if missing). The source is read-only while it
runs (a server on it answers 503 to changes). Resumable: run it again after a failure. Verified:
row counts per table and the SHA-256 of every blob read back from the bucket.`;

/** Parts of this size stream each blob into the bucket (S3 multipart: at most 10,000 parts). */
const PART_BYTES = 64 * 1024 * 1024;
/** Rows per INSERT. */
const BATCH_ROWS = 500;

export interface MigrateOptions {
  dataDir: string;
  targetDatabaseUrl: string;
  targetS3: S3Config;
  out: (line: string) => void;
}

export interface MigrateReport {
  rows: Record<string, number>;
  blobs: number;
  blobBytes: number;
  skippedOpenUploads: number;
}

/** Parses `migrate` arguments; throws a TypeError (ERR_PARSE_ARGS_*) or an Error with usage. */
export function parseMigrateArgs(args: readonly string[]): { dataDir?: string; toDatabase: string } {
  const { values } = parseArgs({
    args: [...args],
    options: {
      data: { type: 'string' },
      'to-database': { type: 'string' },
      'to-s3': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  const toDatabase = values['to-database'];
  if (!toDatabase || !/^postgres(ql)?:\/\//.test(toDatabase)) {
    throw new Error('--to-database postgres://... is required');
  }
  if (!values['to-s3']) throw new Error('--to-s3 is required (the bucket comes from HOARD_S3_*)');
  return { ...(values.data ? { dataDir: values.data } : {}), toDatabase };
}

/** Tables in an order where every row's foreign keys point at rows copied before it. */
async function tablesInOrder(source: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT name FROM sqlite_master WHERE type = 'table'
      AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'hoard_migrations%'`.execute(source);
  const deps = new Map<string, string[]>();
  for (const { name } of rows) {
    const fks = await sql<{ table: string }>`SELECT "table" FROM pragma_foreign_key_list(${name})`.execute(
      source,
    );
    deps.set(
      name,
      fks.rows.map((r) => r.table).filter((t) => t !== name),
    );
  }
  const ordered: string[] = [];
  const visit = (name: string, path: Set<string>) => {
    if (ordered.includes(name) || path.has(name)) return;
    path.add(name);
    for (const dep of deps.get(name) ?? []) visit(dep, path);
    ordered.push(name);
  };
  for (const name of [...deps.keys()].sort()) visit(name, new Set());
  return ordered;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every finished blob file under `<dataDir>/blobs/<aa>/<bb>/<key>`. */
async function* blobFiles(dataDir: string): AsyncIterable<{ key: string; path: string }> {
  const root = join(dataDir, 'blobs');
  if (!existsSync(root)) return;
  for (const aa of (await readdir(root)).sort()) {
    for (const bb of (await readdir(join(root, aa))).sort()) {
      for (const key of (await readdir(join(root, aa, bb))).sort()) {
        if (isBlobKey(key)) yield { key, path: join(root, aa, bb, key) };
      }
    }
  }
}

const formatBytes = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** Runs the whole migration; throws when anything does not match. */
export async function migrateToFleet(options: MigrateOptions): Promise<MigrateReport> {
  const { dataDir, out } = options;
  if (!existsSync(sqlitePathIn(dataDir))) throw new Error(`no Hoard data in ${dataDir}`);
  // The source is brought to the current schema first (the one write besides the marker).
  const source = await openDatabase({ sqlitePath: sqlitePathIn(dataDir) });
  const marker = join(dataDir, READ_ONLY_MARKER);
  let target: Awaited<ReturnType<typeof openDatabase>> | undefined;
  const store = new S3BlobStore(options.targetS3);
  try {
    target = await openDatabase({ databaseUrl: options.targetDatabaseUrl, poolSize: 4 });
    await store.ensureBucket();
    await writeFile(marker, `hoard-server migrate started ${new Date().toISOString()}\n`);
    out(`source ${dataDir} is read-only until the migration ends`);
    const src = source.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    const dst = target.db as unknown as Kysely<Record<string, Record<string, unknown>>>;

    // Open uploads stay behind (see the header): their rows, parts and garbage entries.
    const open = await src
      .selectFrom('uploads')
      .select(['id', 'user_id', 'size_bytes', 'blob_key'])
      .where('state', '=', 'open')
      .execute();
    const openIds = new Set(open.map((u) => u.id as string));
    const openKeys = new Set(open.map((u) => u.blob_key as string));
    const released = new Map<string, number>();
    for (const u of open)
      released.set(u.user_id as string, (released.get(u.user_id as string) ?? 0) + Number(u.size_bytes));
    const keep = (table: string, row: Record<string, unknown>): boolean => {
      if (table === 'uploads') return !openIds.has(row.id as string);
      if (table === 'upload_parts' || table === 'upload_part_claims')
        return !openIds.has(row.upload_id as string);
      if (table === 'blob_garbage') return !openKeys.has(row.blob_key as string);
      return true;
    };
    const adjust = (table: string, row: Record<string, unknown>): Record<string, unknown> => {
      if (table !== 'users') return row;
      const minus = released.get(row.id as string) ?? 0;
      return minus === 0 ? row : { ...row, reserved_bytes: Number(row.reserved_bytes) - minus };
    };

    const rows: Record<string, number> = {};
    for (const table of await tablesInOrder(source.db as Kysely<unknown>)) {
      let copied = 0;
      let expected = 0;
      for (let offset = 0; ; offset += BATCH_ROWS) {
        const { rows: batch } = await sql<
          Record<string, unknown>
        >`SELECT * FROM ${sql.table(table)} ORDER BY rowid LIMIT ${BATCH_ROWS} OFFSET ${offset}`.execute(
          source.db,
        );
        if (batch.length === 0) break;
        const kept = batch.filter((row) => keep(table, row)).map((row) => adjust(table, row));
        expected += kept.length;
        if (kept.length > 0) {
          await dst
            .insertInto(table)
            .values(kept)
            .onConflict((oc) => oc.doNothing())
            .execute();
        }
        copied += kept.length;
        if (batch.length < BATCH_ROWS) break;
      }
      const [{ n }] = (
        await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(target.db)
      ).rows as [{ n: number }];
      if (Number(n) !== expected) {
        throw new Error(
          `table ${table}: ${expected} rows in the source, ${n} in the target (does the target hold other data?)`,
        );
      }
      if (table === 'server_secrets') {
        // The OPAQUE setup and other secrets must be the source's, or no account could log in.
        for (const row of await src.selectFrom('server_secrets').selectAll().execute()) {
          const there = await dst
            .selectFrom('server_secrets')
            .select('value')
            .where('name', '=', row.name)
            .executeTakeFirst();
          if (there?.value !== row.value) {
            throw new Error(
              `server secret ${String(row.name)} differs in the target: migrate before a fleet server first starts on it`,
            );
          }
        }
      }
      rows[table] = copied;
      out(`table ${table}: ${copied} rows`);
    }

    // Blobs: stream each file into the bucket, then read it back and compare checksums.
    const files: { key: string; path: string; sizeBytes: number }[] = [];
    for await (const file of blobFiles(dataDir))
      files.push({ ...file, sizeBytes: (await stat(file.path)).size });
    const totalBytes = files.reduce((sum, f) => sum + f.sizeBytes, 0);
    let doneBytes = 0;
    for (const [i, file] of files.entries()) {
      const already = await store.sizeOf(file.key);
      if (already !== file.sizeBytes) {
        const handle = await store.createMultipart(file.key, file.sizeBytes);
        const parts = [];
        const count = Math.max(1, Math.ceil(file.sizeBytes / PART_BYTES));
        for (let n = 1; n <= count; n++) {
          const start = (n - 1) * PART_BYTES;
          const size = n < count ? PART_BYTES : file.sizeBytes - start;
          const body = createReadStream(
            file.path,
            size === 0 ? { start: 0, end: -1 } : { start, end: start + size - 1 },
          );
          parts.push(
            await store.putPart(
              file.key,
              handle,
              { partNumber: n, offsetBytes: start, sizeBytes: size },
              body,
            ),
          );
        }
        await store.completeMultipart(file.key, handle, parts);
      }
      const local = await sha256OfFile(file.path);
      const hash = createHash('sha256');
      for await (const chunk of await store.read(file.key)) hash.update(chunk as Buffer);
      if (hash.digest('hex') !== local)
        throw new Error(`blob ${file.key}: the bucket holds other bytes than ${file.path}`);
      doneBytes += file.sizeBytes;
      out(`blob ${i + 1}/${files.length} verified (${formatBytes(doneBytes)} of ${formatBytes(totalBytes)})`);
    }
    out(
      `done: ${Object.values(rows).reduce((a, b) => a + b, 0)} rows, ${files.length} blobs (${formatBytes(totalBytes)}) verified; ${open.length} open upload(s) left behind`,
    );
    return { rows, blobs: files.length, blobBytes: totalBytes, skippedOpenUploads: open.length };
  } finally {
    await rm(marker, { force: true });
    store.close();
    await target?.db.destroy();
    await source.db.destroy();
  }
}
