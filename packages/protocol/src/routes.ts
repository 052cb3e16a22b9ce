// The route table: every HTTP route of the server with its request and response schemas and the
// error codes it may answer. docs/API.md is generated from it (renderApiMarkdown), and a test fails
// when the two differ, so the documentation cannot drift from the schemas.
import { z } from 'zod';
import {
  AccountResponse,
  AuthResponse,
  CurrentSessionResponse,
  DeleteAccountRequest,
  LoginFinishRequest,
  LoginStartRequest,
  LoginStartResponse,
  PasswordFinishRequest,
  PasswordStartRequest,
  PasswordStartResponse,
  RecoverFinishRequest,
  RecoverStartRequest,
  RecoverStartResponse,
  SessionsResponse,
  SignupFinishRequest,
  SignupStartRequest,
  SignupStartResponse,
} from './accounts.js';
import type { ErrorCode } from './errors.js';
import {
  CreateFolderRequest,
  NodeResponse,
  NodesResponse,
  RestoreNodeRequest,
  RevisionRequest,
  UpdateNodeRequest,
  VersionsResponse,
} from './tree.js';
import { CompleteUploadRequest, CreateUploadRequest, PartResponse, UploadResponse } from './uploads.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One route of the HTTP API. */
export interface RouteSpec {
  method: HttpMethod;
  /** Fastify-style path, e.g. `/nodes/:id`. */
  path: string;
  summary: string;
  /** Whether `Authorization: Bearer <token>` is required. */
  auth: boolean;
  /** JSON body schema, `'binary'` for raw bytes (application/octet-stream), undefined for none. */
  request?: z.ZodType | 'binary';
  /** JSON answer schema, `'binary'` for raw bytes, undefined for an empty answer. */
  response?: z.ZodType | 'binary';
  /** HTTP status of a success. */
  status: number;
  /** Error codes specific to this route (besides VALIDATION_FAILED, MALFORMED_JSON, UNAUTHENTICATED...). */
  errors: readonly ErrorCode[];
  /** Extra notes for the documentation. */
  notes?: string;
}

/** The JSON answer of `GET /healthz`. */
export const HealthResponse = z.object({ status: z.literal('ok') });
export type HealthResponse = z.infer<typeof HealthResponse>;

const route = (spec: RouteSpec): RouteSpec => spec;

/** Every route, by a stable name. */
export const routes = {
  signupStart: route({
    method: 'POST',
    path: '/auth/signup/start',
    summary: 'Begin an OPAQUE registration for a new account (rate-limited per client address).',
    auth: false,
    request: SignupStartRequest,
    response: SignupStartResponse,
    status: 200,
    errors: ['EMAIL_TAKEN', 'RATE_LIMITED'],
  }),
  signupFinish: route({
    method: 'POST',
    path: '/auth/signup/finish',
    summary:
      'Create the account with its OPAQUE record and wrapped keys; creates the root folder and a session.',
    auth: false,
    request: SignupFinishRequest,
    response: AuthResponse,
    status: 201,
    errors: ['EMAIL_TAKEN', 'ID_TAKEN'],
  }),
  loginStart: route({
    method: 'POST',
    path: '/auth/login/start',
    summary: 'Begin an OPAQUE login. An unknown e-mail gets an answer of the same shape.',
    auth: false,
    request: LoginStartRequest,
    response: LoginStartResponse,
    status: 200,
    errors: ['RATE_LIMITED'],
    notes: 'Rate-limited per e-mail address and per client address; 429 carries `Retry-After` (seconds).',
  }),
  loginFinish: route({
    method: 'POST',
    path: '/auth/login/finish',
    summary: 'Finish the OPAQUE login and open a session.',
    auth: false,
    request: LoginFinishRequest,
    response: AuthResponse,
    status: 200,
    errors: ['LOGIN_FAILED'],
  }),
  currentSession: route({
    method: 'GET',
    path: '/auth/session',
    summary: "The current session's id, expiry and secret (for the CLI's local key copy).",
    auth: true,
    response: CurrentSessionResponse,
    status: 200,
    errors: [],
  }),
  logout: route({
    method: 'POST',
    path: '/auth/logout',
    summary: 'End the current session.',
    auth: true,
    status: 204,
    errors: [],
  }),
  recoverStart: route({
    method: 'POST',
    path: '/auth/recover/start',
    summary: 'Prove the recovery key and begin registering a new password.',
    auth: false,
    request: RecoverStartRequest,
    response: RecoverStartResponse,
    status: 200,
    errors: ['RECOVERY_FAILED', 'RATE_LIMITED'],
  }),
  recoverFinish: route({
    method: 'POST',
    path: '/auth/recover/finish',
    summary: 'Store the new OPAQUE record and re-wrapped master key; revokes every other session.',
    auth: false,
    request: RecoverFinishRequest,
    response: AuthResponse,
    status: 200,
    errors: ['RECOVERY_FAILED'],
  }),
  getAccount: route({
    method: 'GET',
    path: '/account',
    summary: 'The account, its wrapped keys and its quota.',
    auth: true,
    response: AccountResponse,
    status: 200,
    errors: [],
  }),
  listSessions: route({
    method: 'GET',
    path: '/account/sessions',
    summary: "The account's open sessions.",
    auth: true,
    response: SessionsResponse,
    status: 200,
    errors: [],
  }),
  revokeSession: route({
    method: 'DELETE',
    path: '/account/sessions/:id',
    summary: 'Revoke one session of the account.',
    auth: true,
    status: 204,
    errors: ['NOT_FOUND'],
  }),
  passwordStart: route({
    method: 'POST',
    path: '/account/password/start',
    summary: 'Begin registering a new password (session must be at most 10 minutes old).',
    auth: true,
    request: PasswordStartRequest,
    response: PasswordStartResponse,
    status: 200,
    errors: ['REAUTH_REQUIRED'],
  }),
  passwordFinish: route({
    method: 'POST',
    path: '/account/password/finish',
    summary: 'Store the new OPAQUE record and re-wrapped master key; revokes every other session.',
    auth: true,
    request: PasswordFinishRequest,
    status: 204,
    errors: ['REAUTH_REQUIRED'],
  }),
  deleteAccount: route({
    method: 'DELETE',
    path: '/account',
    summary: 'Delete the account and everything in it (session must be at most 10 minutes old).',
    auth: true,
    request: DeleteAccountRequest,
    status: 204,
    errors: ['REAUTH_REQUIRED'],
  }),
  getNode: route({
    method: 'GET',
    path: '/nodes/:id',
    summary: 'One node.',
    auth: true,
    response: NodeResponse,
    status: 200,
    errors: ['NOT_FOUND'],
  }),
  listChildren: route({
    method: 'GET',
    path: '/nodes/:id/children',
    summary: 'The children of a folder (trashed ones excluded).',
    auth: true,
    response: NodesResponse,
    status: 200,
    errors: ['NOT_FOUND', 'NOT_A_FOLDER'],
  }),
  createFolder: route({
    method: 'POST',
    path: '/nodes',
    summary: 'Create a folder.',
    auth: true,
    request: CreateFolderRequest,
    response: NodeResponse,
    status: 201,
    errors: ['NOT_FOUND', 'NOT_A_FOLDER', 'NAME_TAKEN', 'ID_TAKEN', 'PARENT_GONE'],
  }),
  updateNode: route({
    method: 'PATCH',
    path: '/nodes/:id',
    summary: 'Rename and/or move a node.',
    auth: true,
    request: UpdateNodeRequest,
    response: NodeResponse,
    status: 200,
    errors: [
      'NOT_FOUND',
      'REVISION_CONFLICT',
      'NAME_TAKEN',
      'MOVE_INTO_DESCENDANT',
      'ROOT_IMMUTABLE',
      'NOT_A_FOLDER',
      'PARENT_GONE',
    ],
  }),
  trashNode: route({
    method: 'POST',
    path: '/nodes/:id/trash',
    summary: 'Move a node (and its subtree) to the trash.',
    auth: true,
    request: RevisionRequest,
    response: NodeResponse,
    status: 200,
    errors: ['NOT_FOUND', 'REVISION_CONFLICT', 'ROOT_IMMUTABLE'],
  }),
  listTrash: route({
    method: 'GET',
    path: '/trash',
    summary: 'The nodes at the top of the trash.',
    auth: true,
    response: NodesResponse,
    status: 200,
    errors: [],
  }),
  emptyTrash: route({
    method: 'POST',
    path: '/trash/empty',
    summary: 'Delete everything in the trash for good.',
    auth: true,
    status: 204,
    errors: [],
  }),
  restoreNode: route({
    method: 'POST',
    path: '/nodes/:id/restore',
    summary: 'Restore a node from the trash, to its old parent or to another folder.',
    auth: true,
    request: RestoreNodeRequest,
    response: NodeResponse,
    status: 200,
    errors: ['NOT_FOUND', 'NOT_IN_TRASH', 'REVISION_CONFLICT', 'PARENT_GONE', 'NAME_TAKEN', 'NOT_A_FOLDER'],
  }),
  deleteNode: route({
    method: 'DELETE',
    path: '/nodes/:id',
    summary: 'Delete a node at the top of the trash for good (with its subtree and versions).',
    auth: true,
    status: 204,
    errors: ['NOT_FOUND', 'NOT_IN_TRASH'],
  }),
  listVersions: route({
    method: 'GET',
    path: '/nodes/:id/versions',
    summary: 'The older versions of a file, newest first (the current one excluded).',
    auth: true,
    response: VersionsResponse,
    status: 200,
    errors: ['NOT_FOUND', 'NOT_A_FILE'],
  }),
  restoreVersion: route({
    method: 'POST',
    path: '/nodes/:id/versions/:versionId/restore',
    summary: 'Make an older version current again; the former current one becomes an older version.',
    auth: true,
    request: RevisionRequest,
    response: NodeResponse,
    status: 200,
    errors: ['NOT_FOUND', 'NOT_A_FILE', 'REVISION_CONFLICT'],
  }),
  nodeContent: route({
    method: 'GET',
    path: '/nodes/:id/content',
    summary: "The ciphertext of a file's current version.",
    auth: true,
    response: 'binary',
    status: 200,
    errors: ['NOT_FOUND', 'NOT_A_FILE', 'RANGE_NOT_SATISFIABLE'],
    notes:
      'Accept-Ranges: bytes; a single `Range` answers 206 with Content-Range; ETag is `"<versionId>"`; If-Range honoured.',
  }),
  versionContent: route({
    method: 'GET',
    path: '/versions/:versionId/content',
    summary: 'The ciphertext of one version.',
    auth: true,
    response: 'binary',
    status: 200,
    errors: ['NOT_FOUND', 'RANGE_NOT_SATISFIABLE'],
    notes: 'Same Range, ETag and If-Range handling as `GET /nodes/:id/content`.',
  }),
  createUpload: route({
    method: 'POST',
    path: '/uploads',
    summary: 'Begin an upload of `sizeBytes` bytes of ciphertext; reserves that much quota.',
    auth: true,
    request: CreateUploadRequest,
    response: UploadResponse,
    status: 201,
    errors: ['QUOTA_EXCEEDED'],
    notes: 'partSizeBytes >= 5 MiB (default 8 MiB), grown so that partCount <= 10000. Expires after 24 h.',
  }),
  getUpload: route({
    method: 'GET',
    path: '/uploads/:id',
    summary: 'An upload and the parts that have landed.',
    auth: true,
    response: UploadResponse,
    status: 200,
    errors: ['NOT_FOUND', 'UPLOAD_EXPIRED'],
  }),
  abortUpload: route({
    method: 'DELETE',
    path: '/uploads/:id',
    summary: 'Abort an upload and release its quota.',
    auth: true,
    status: 204,
    errors: ['NOT_FOUND'],
  }),
  putPart: route({
    method: 'PUT',
    path: '/uploads/:id/parts/:partNumber',
    summary: 'Store one part (raw bytes; Content-Length must equal the part size).',
    auth: true,
    request: 'binary',
    response: PartResponse,
    status: 200,
    errors: [
      'NOT_FOUND',
      'UPLOAD_EXPIRED',
      'PART_OUT_OF_RANGE',
      'PART_SIZE_MISMATCH',
      'PART_CONFLICT',
      'PART_IN_PROGRESS',
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    notes: 'The same bytes again answer 200; a truncated body stores nothing.',
  }),
  completeUpload: route({
    method: 'POST',
    path: '/uploads/:id/complete',
    summary: 'Make the blob durable, then create the file or its new version. Idempotent.',
    auth: true,
    request: CompleteUploadRequest,
    response: NodeResponse,
    status: 201,
    errors: [
      'NOT_FOUND',
      'UPLOAD_EXPIRED',
      'UPLOAD_INCOMPLETE',
      'NAME_TAKEN',
      'ID_TAKEN',
      'REVISION_CONFLICT',
      'NOT_A_FOLDER',
      'NOT_A_FILE',
    ],
  }),
  health: route({
    method: 'GET',
    path: '/healthz',
    summary: 'Answers 200 when the server is ready.',
    auth: false,
    response: HealthResponse,
    status: 200,
    errors: ['UNAVAILABLE'],
  }),
  metrics: route({
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition format).',
    auth: false,
    status: 200,
    errors: [],
    notes: 'Content-Type text/plain; version=0.0.4.',
  }),
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof routes;
