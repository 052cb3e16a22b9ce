// Where an upload keeps what it needs to continue after a crash. The caller supplies the store
// (the CLI: one 0600 JSON file per upload under HOARD_HOME; a browser: IndexedDB). A record never
// holds a raw key: the version key is wrapped under the master key, so a leaked record is useless
// without the account.

/** Everything needed to continue an upload, and to notice that the source changed meanwhile. */
export interface UploadResumeRecord {
  /** Record format, bumped on incompatible changes. */
  formatVersion: 1;
  uploadId: string;
  versionId: string;
  /** The node id a new file will get (unused when the upload becomes a new version). */
  nodeId: string;
  /** Cobblestone salt (b64u): public, it is the start of the ciphertext header. */
  saltB64u: string;
  /** The version (content) key, wrapped under the master key (purpose 'version-key', id versionId). */
  wrappedVersionKeyB64u: string;
  plainSizeBytes: number;
  cipherSizeBytes: number;
  /** The source's modification time when the upload began, if it has one. */
  sourceMtimeMs: number | null;
  partSizeBytes: number;
  partCount: number;
  /**
   * Digest (hex) of the plaintext behind every part ever sent (recorded BEFORE the bytes leave),
   * by part number: SHA-256 over the SHA-256 of each 1 MiB batch of the part's chunks. A resume first checks that the source still has these bytes: otherwise it
   * starts over with a fresh key, so changed plaintext is never encrypted under the same nonces.
   */
  partPlainSha256Hex: Record<string, string>;
}

/** Persistence for resume records, keyed by a caller-chosen string (e.g. local path + target). */
export interface ResumeStore {
  get(key: string): Promise<UploadResumeRecord | undefined>;
  set(key: string, record: UploadResumeRecord): Promise<void>;
  delete(key: string): Promise<void>;
}

/** A ResumeStore in memory: resumes within one process only (tests, short-lived pages). */
export class MemoryResumeStore implements ResumeStore {
  readonly #records = new Map<string, UploadResumeRecord>();

  get(key: string): Promise<UploadResumeRecord | undefined> {
    const record = this.#records.get(key);
    return Promise.resolve(record && structuredClone(record));
  }

  set(key: string, record: UploadResumeRecord): Promise<void> {
    this.#records.set(key, structuredClone(record));
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.#records.delete(key);
    return Promise.resolve();
  }
}
