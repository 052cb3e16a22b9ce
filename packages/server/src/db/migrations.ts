// Migrations in code, run at start by openDatabase. One migration list for both dialects: only
// portable column types (text, integer, bigint). On PostgreSQL, Kysely's Migrator holds an advisory
// lock while it migrates, so several servers starting at once migrate exactly once.
import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { payments } from '../modules/payments/payments-migration.js';

const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('opaque_record', 'text', (c) => c.notNull())
      .addColumn('wrapped_master_key', 'text', (c) => c.notNull())
      .addColumn('wrapped_master_key_recovery', 'text', (c) => c.notNull())
      .addColumn('recovery_auth_hash', 'text', (c) => c.notNull())
      .addColumn('root_node_id', 'text', (c) => c.notNull())
      .addColumn('public_encryption_key', 'text', (c) => c.notNull())
      .addColumn('public_signing_key', 'text', (c) => c.notNull())
      .addColumn('wrapped_encryption_private_key', 'text', (c) => c.notNull())
      .addColumn('wrapped_signing_private_key', 'text', (c) => c.notNull())
      .addColumn('public_keys_signature', 'text', (c) => c.notNull())
      .addColumn('quota_bytes', 'bigint', (c) => c.notNull())
      .addColumn('used_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('reserved_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();

    await db.schema
      .createTable('login_attempts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('server_login_state', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('recoveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('nodes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('parent_id', 'text')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('wrapped_key', 'text', (c) => c.notNull())
      .addColumn('encrypted_attrs', 'text', (c) => c.notNull())
      .addColumn('name_hash', 'text', (c) => c.notNull())
      .addColumn('live_name', 'text')
      .addColumn('size_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('current_version_id', 'text')
      .addColumn('trashed_at', 'bigint')
      .addColumn('trashed_from_parent_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('nodes_parent_live_name', ['parent_id', 'live_name'])
      .addCheckConstraint('nodes_type', sql`type in ('folder', 'file')`)
      .execute();
    await db.schema
      .createIndex('nodes_user_trashed')
      .on('nodes')
      .columns(['user_id', 'trashed_at'])
      .execute();

    await db.schema
      .createTable('versions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('node_id', 'text', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('wrapped_key', 'text', (c) => c.notNull())
      .addColumn('encrypted_attrs', 'text', (c) => c.notNull())
      .addColumn('size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('blob_key', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('versions_node_id')
      .on('versions')
      .columns(['node_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('uploads')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('part_size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('part_count', 'integer', (c) => c.notNull())
      .addColumn('blob_key', 'text', (c) => c.notNull())
      .addColumn('store_handle', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('completed_node_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addCheckConstraint('uploads_state', sql`state in ('open', 'completed')`)
      .execute();
    await db.schema.createIndex('uploads_user_id').on('uploads').column('user_id').execute();
    await db.schema
      .createIndex('uploads_expires_at')
      .on('uploads')
      .columns(['state', 'expires_at'])
      .execute();

    await db.schema
      .createTable('upload_parts')
      .addColumn('upload_id', 'text', (c) => c.notNull().references('uploads.id').onDelete('cascade'))
      .addColumn('part_number', 'integer', (c) => c.notNull())
      .addColumn('size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('sha256_hex', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('upload_parts_pk', ['upload_id', 'part_number'])
      .execute();

    await db.schema
      .createTable('blob_garbage')
      .addColumn('blob_key', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('due_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('blob_garbage_due_at').on('blob_garbage').column('due_at').execute();

    await db.schema
      .createTable('server_secrets')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

/** Account deletion and per-account scans of versions. */
const versionsByUser: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('versions_user_id').on('versions').column('user_id').execute();
  },
};

/** Sharing (issue 4): public links, their download grants, reports of links. */
const sharing: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('links')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('node_id', 'text', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
      .addColumn('wrapped_key', 'text', (c) => c.notNull())
      .addColumn('owner_wrapped_link_key', 'text', (c) => c.notNull())
      .addColumn('key_commitment', 'text', (c) => c.notNull())
      .addColumn('password_verifier', 'text')
      .addColumn('expires_at', 'bigint')
      .addColumn('max_downloads', 'bigint')
      .addColumn('download_count', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('password_failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('password_window_start', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('revoked_at', 'bigint')
      .addColumn('disabled_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('links_user_id').on('links').column('user_id').execute();
    await db.schema.createIndex('links_node_id').on('links').column('node_id').execute();

    await db.schema
      .createTable('link_grants')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('link_id', 'text', (c) => c.notNull().references('links.id').onDelete('cascade'))
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('link_grants_link_id').on('link_grants').column('link_id').execute();
    await db.schema.createIndex('link_grants_expires_at').on('link_grants').column('expires_at').execute();

    await db.schema
      .createTable('link_reports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('link_id', 'text', (c) => c.notNull())
      .addColumn('owner_id', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('link_reports_created_at').on('link_reports').column('created_at').execute();

    await db.schema
      .createTable('shares')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('folder_id', 'text', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
      .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('member_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('access', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('sealed_key', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('answered_at', 'bigint')
      .addUniqueConstraint('shares_folder_member', ['folder_id', 'member_id'])
      .addCheckConstraint('shares_access', sql`access in ('read', 'write')`)
      .addCheckConstraint('shares_status', sql`status in ('pending', 'accepted', 'declined')`)
      .execute();
    await db.schema.createIndex('shares_owner_id').on('shares').column('owner_id').execute();
    await db.schema.createIndex('shares_member_id').on('shares').column('member_id').execute();

    await db.schema
      .createTable('share_uploads')
      .addColumn('upload_id', 'text', (c) => c.primaryKey().references('uploads.id').onDelete('cascade'))
      .addColumn('share_id', 'text', (c) => c.notNull().references('shares.id').onDelete('cascade'))
      .execute();
  },
};

/** Fleet: parts announced before a client sends them straight to the object store. */
const fleet: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('upload_part_claims')
      .addColumn('upload_id', 'text', (c) => c.notNull().references('uploads.id').onDelete('cascade'))
      .addColumn('part_number', 'integer', (c) => c.notNull())
      .addColumn('size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('sha256_hex', 'text', (c) => c.notNull())
      .addColumn('md5_hex', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('upload_part_claims_pk', ['upload_id', 'part_number'])
      .execute();
  },
};

/** Listing a folder a page at a time, in id order: the next page is an index range, never a sort. */
const childrenPaging: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('nodes_parent_id_id').on('nodes').columns(['parent_id', 'id']).execute();
  },
};

/** Every migration, in order. Never edit a released one: add the next. */
export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_versions_user_id': versionsByUser,
  '0003_sharing': sharing,
  '0004_fleet': fleet,
  '0005_payments': payments,
  '0006_children_paging': childrenPaging,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

/** Brings the schema up to date; throws if a migration fails. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'hoard_migrations' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed`, { cause: error });
  }
}
