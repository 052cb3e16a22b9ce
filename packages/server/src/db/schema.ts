// The database schema as Kysely sees it. Column names are the SQL names of CONTRACT.md (snake_case),
// shared by every module. Timestamps are integer milliseconds since the epoch; binary values are
// base64url text; sizes are bigint columns read back as JS numbers (the PostgreSQL driver is told
// to parse int8 as number in database.ts).
import type { ColumnType, Generated, Kysely, Selectable } from 'kysely';
import type { PaymentTables } from '../modules/payments/payments-schema.js';

export interface UsersTable {
  id: string;
  email: string;
  opaque_record: string;
  wrapped_master_key: string;
  wrapped_master_key_recovery: string;
  /** SHA-256 (base64url) of the recovery auth key. */
  recovery_auth_hash: string;
  root_node_id: string;
  public_encryption_key: string;
  public_signing_key: string;
  wrapped_encryption_private_key: string;
  wrapped_signing_private_key: string;
  public_keys_signature: string;
  quota_bytes: number;
  used_bytes: ColumnType<number, number | undefined, number>;
  reserved_bytes: ColumnType<number, number | undefined, number>;
  created_at: number;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  /** SHA-256 (base64url) of the bearer token; the token itself is never stored. */
  token_hash: string;
  secret: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export interface LoginAttemptsTable {
  id: string;
  email: string;
  server_login_state: string;
  expires_at: number;
}

export interface RecoveriesTable {
  id: string;
  user_id: string;
  expires_at: number;
}

export interface NodesTable {
  id: string;
  user_id: string;
  /** Null for the root and for nodes at the top of the trash. */
  parent_id: string | null;
  type: 'folder' | 'file';
  revision: number;
  wrapped_key: string;
  encrypted_attrs: string;
  name_hash: string;
  /** name_hash while the node is live, NULL while it is at the top of the trash: UNIQUE(parent_id, live_name). */
  live_name: string | null;
  size_bytes: ColumnType<number, number | undefined, number>;
  current_version_id: string | null;
  trashed_at: number | null;
  trashed_from_parent_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface VersionsTable {
  id: string;
  node_id: string;
  user_id: string;
  wrapped_key: string;
  encrypted_attrs: string;
  size_bytes: number;
  blob_key: string;
  created_at: number;
}

export interface UploadsTable {
  id: string;
  user_id: string;
  size_bytes: number;
  part_size_bytes: number;
  part_count: number;
  blob_key: string;
  store_handle: string;
  state: 'open' | 'completed';
  completed_node_id: string | null;
  created_at: number;
  expires_at: number;
}

export interface UploadPartsTable {
  upload_id: string;
  part_number: number;
  size_bytes: number;
  sha256_hex: string;
}

export interface BlobGarbageTable {
  blob_key: string;
  user_id: string;
  due_at: number;
}

/** Server-wide secrets created once (the OPAQUE server setup), shared by every server of a fleet. */
export interface ServerSecretsTable {
  name: string;
  value: string;
  created_at: number;
}

export interface DatabaseSchema extends PaymentTables {
  users: UsersTable;
  sessions: SessionsTable;
  login_attempts: LoginAttemptsTable;
  recoveries: RecoveriesTable;
  nodes: NodesTable;
  versions: VersionsTable;
  uploads: UploadsTable;
  upload_parts: UploadPartsTable;
  blob_garbage: BlobGarbageTable;
  server_secrets: ServerSecretsTable;
}

/** The database handle every module uses; a Transaction<DatabaseSchema> is one too. */
export type Db = Kysely<DatabaseSchema>;

export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type NodeRow = Selectable<NodesTable>;
export type VersionRow = Selectable<VersionsTable>;
export type UploadRow = Selectable<UploadsTable>;
export type UploadPartRow = Selectable<UploadPartsTable>;

/** Unused import guard: Generated is re-exported for modules that add tables later. */
export type { Generated };
