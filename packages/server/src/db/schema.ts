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

/**
 * What a client announced for a part it sends straight to the object store (fleet, direct
 * transfers): the part counts as landed only once the store holds it with this size and MD5.
 */
export interface UploadPartClaimsTable {
  upload_id: string;
  part_number: number;
  size_bytes: number;
  sha256_hex: string;
  md5_hex: string;
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

/** A public link to a node (issue 4). Keys are wrapped; the link key itself is never stored. */
export interface LinksTable {
  id: string;
  user_id: string;
  node_id: string;
  wrapped_key: string;
  owner_wrapped_link_key: string;
  key_commitment: string;
  /** SHA-256 (base64url) of the password proof; null without a password. */
  password_verifier: string | null;
  expires_at: number | null;
  max_downloads: number | null;
  download_count: ColumnType<number, number | undefined, number>;
  /** Wrong password proofs in the window starting at password_window_start. */
  password_failures: ColumnType<number, number | undefined, number>;
  password_window_start: ColumnType<number, number | undefined, number>;
  revoked_at: number | null;
  disabled_at: number | null;
  created_at: number;
}

/** One counted download of a link: ranged reads go through it until it expires. */
export interface LinkGrantsTable {
  /** SHA-256 (base64url) of the grant id; the grant id itself is never stored. */
  id_hash: string;
  link_id: string;
  expires_at: number;
  created_at: number;
}

/** A report of a link, for the operator. */
export interface LinkReportsTable {
  id: string;
  link_id: string;
  owner_id: string | null;
  reason: string;
  note: string | null;
  created_at: number;
}

/** A folder shared with another account (issue 4): the folder key sealed to the member. */
export interface SharesTable {
  id: string;
  folder_id: string;
  owner_id: string;
  member_id: string;
  access: 'read' | 'write';
  status: 'pending' | 'accepted' | 'declined';
  sealed_key: string;
  signature: string;
  created_at: number;
  answered_at: number | null;
}

/** Which share an upload was begun through (only that share's members may continue it). */
export interface ShareUploadsTable {
  upload_id: string;
  share_id: string;
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
  upload_part_claims: UploadPartClaimsTable;
  blob_garbage: BlobGarbageTable;
  server_secrets: ServerSecretsTable;
  links: LinksTable;
  link_grants: LinkGrantsTable;
  link_reports: LinkReportsTable;
  shares: SharesTable;
  share_uploads: ShareUploadsTable;
}

/** The database handle every module uses; a Transaction<DatabaseSchema> is one too. */
export type Db = Kysely<DatabaseSchema>;

export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type NodeRow = Selectable<NodesTable>;
export type VersionRow = Selectable<VersionsTable>;
export type UploadRow = Selectable<UploadsTable>;
export type UploadPartRow = Selectable<UploadPartsTable>;
export type LinkRow = Selectable<LinksTable>;
export type ShareRow = Selectable<SharesTable>;

/** Unused import guard: Generated is re-exported for modules that add tables later. */
export type { Generated };
