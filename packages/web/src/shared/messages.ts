// Messages between the page and its workers. Keys travel only inside this origin's own workers
// (postMessage), never to the server.
import type { RemoteEntry, SavedSession, VerifiedKeys, VersionEntry } from '@hoard/client';
import type { Share } from '@hoard/protocol';

/**
 * A folder shared with this account that an upload goes into: the share and its owner's keys as
 * the page trusts them (pinned); the worker checks the owner's signature again when it opens it.
 */
export interface UploadShare {
  share: Share;
  ownerKeys: VerifiedKeys;
}

/** Page -> upload worker. */
export type UploadCommand =
  | { type: 'session'; saved: SavedSession }
  | {
      type: 'upload';
      jobId: string;
      file: File;
      parent: RemoteEntry;
      name: string;
      resumeKey: string;
      mime?: string;
      thumbnail?: string;
      /** Into a folder shared with this account (its routes, the owner's quota) instead of its own. */
      share?: UploadShare;
    }
  | { type: 'pause'; jobId: string }
  | { type: 'cancel'; jobId: string };

/** Upload worker -> page. */
export type UploadEvent =
  | { type: 'progress'; jobId: string; doneBytes: number; totalBytes: number }
  | { type: 'resumed'; jobId: string; landedParts: number; partCount: number }
  | { type: 'done'; jobId: string }
  | { type: 'stopped'; jobId: string; reason: 'paused' | 'cancelled' }
  | { type: 'error'; jobId: string; message: string };

/** A file the service worker may serve at /sw/file/<id>/<name>: a version's key and sizes. */
export interface FileTarget {
  kind: 'file';
  id: string;
  serverUrl: string;
  /** Bearer token of the session (account and shared files); absent for public links. */
  token?: string;
  /**
   * Where the version's ciphertext is read instead of the account's own routes: for public links
   * the download grant's path, /links/<id>/grants/<grant>; for a folder shared with this account,
   * /shares/<id> (read with the session's token).
   */
  grantPath?: string;
  /** The version to serve (its key included): the same object the tree hands the page. */
  version: VersionEntry;
  name: string;
  mime: string;
  /** attachment: the browser saves it; inline: it plays or shows in the page. */
  disposition: 'attachment' | 'inline';
}

/** A folder the service worker serves as one streamed ZIP at /sw/file/<id>/<name>.zip. */
export interface ZipTarget {
  kind: 'zip';
  id: string;
  serverUrl: string;
  token?: string;
  grantPath?: string;
  name: string;
  /** Folders (no version) and files, paths relative to the archive's root, folders first. */
  entries: { path: string; mtimeMs?: number; version?: VersionEntry }[];
}

export type StreamTarget = FileTarget | ZipTarget;

/** Page -> service worker. */
export type ServiceWorkerCommand =
  { type: 'register'; target: StreamTarget } | { type: 'release'; id: string };

/** Page -> auth worker (one command per worker). */
export type AuthCommand = { serverUrl: string } & (
  | { type: 'signup'; email: string; password: string }
  | { type: 'login'; email: string; password: string }
  | { type: 'recover'; email: string; words: string[]; password: string }
  | { type: 'change-password'; saved: SavedSession; password: string }
);

/** Auth worker -> page. */
export type AuthReply =
  | { ok: true; saved: SavedSession; words?: string[] }
  | {
      ok: false;
      error: {
        name: string;
        message: string;
        code?: string;
        status?: number;
        retryAfterSeconds?: number;
        network?: boolean;
      };
    };

/** Page -> link-password worker: the Argon2id of a link password (one command per worker). */
export interface LinkPasswordCommand {
  password: string;
  linkId: string;
}

/** Link-password worker -> page. */
export type LinkPasswordReply = { ok: true; hash: Uint8Array } | { ok: false; message: string };
