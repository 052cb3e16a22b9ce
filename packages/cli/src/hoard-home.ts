// HOARD_HOME: the CLI's local state. `session.json` (the session token and the master key wrapped
// under a key only the live session can unlock), `uploads/<account>/<key>.json` (resume records:
// ids, salt, part hashes and the version key wrapped under the master key) and
// `uploads/<account>/puts/<command>.jsonl` (what an interrupted put had finished). Every file is
// 0600 in a 0700 directory; records are written to a temp file and renamed, so a crash never leaves
// half a record (a journal is appended to, and a torn last line is ignored).

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResumeStore, SavedSession, UploadResumeRecord } from '@hoard/client';
import { PutJournal } from './put-journal.js';

async function writePrivateFile(path: string, text: string): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  // Created 0600 (the umask can only take bits away), under a name nobody else has opened.
  await writeFile(temp, text, { mode: 0o600, flag: 'wx' });
  await rename(temp, path);
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** The CLI's state directory. */
export class HoardHome {
  constructor(readonly dir: string) {}

  async #ensureDir(path: string): Promise<void> {
    await mkdir(path, { recursive: true, mode: 0o700 });
  }

  get sessionPath(): string {
    return join(this.dir, 'session.json');
  }

  async loadSession(): Promise<SavedSession | undefined> {
    const data = await readJson(this.sessionPath);
    if (!data || typeof data !== 'object') return undefined;
    const saved = data as Partial<SavedSession>;
    if (
      saved.formatVersion !== 1 ||
      typeof saved.token !== 'string' ||
      typeof saved.wrappedMasterKey !== 'string'
    )
      return undefined;
    return saved as SavedSession;
  }

  async saveSession(session: SavedSession): Promise<void> {
    await this.#ensureDir(this.dir);
    await writePrivateFile(this.sessionPath, JSON.stringify(session, null, 2) + '\n');
  }

  async deleteSession(): Promise<void> {
    await rm(this.sessionPath, { force: true });
  }

  /** Resume records of one account on one server. */
  resumeStore(serverUrl: string, userId: string): FileResumeStore {
    const scope = createHash('sha256').update(`${serverUrl}\n${userId}`).digest('hex').slice(0, 16);
    return new FileResumeStore(join(this.dir, 'uploads', scope));
  }

  /** The journal of one `put` command of one account on one server (see PutJournal). */
  putJournal(serverUrl: string, userId: string, commandKey: string): Promise<PutJournal> {
    return PutJournal.open(join(this.resumeStore(serverUrl, userId).dir, 'puts'), commandKey);
  }

  /** Forgets every resume record of one account (after the account is deleted). */
  async deleteResumeRecords(serverUrl: string, userId: string): Promise<void> {
    await rm(this.resumeStore(serverUrl, userId).dir, { recursive: true, force: true });
  }
}

/** A ResumeStore of one 0600 JSON file per upload. Keys are hashed into file names. */
export class FileResumeStore implements ResumeStore {
  #madeDir: Promise<void> | undefined;
  constructor(readonly dir: string) {}

  #path(key: string): string {
    return join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);
  }

  async get(key: string): Promise<UploadResumeRecord | undefined> {
    const data = await readJson(this.#path(key));
    if (!data || typeof data !== 'object' || (data as { key?: unknown }).key !== key) return undefined;
    return (data as { record: UploadResumeRecord }).record;
  }

  async set(key: string, record: UploadResumeRecord): Promise<void> {
    // Once per store: a put of many small files sets a record for each.
    this.#madeDir ??= mkdir(this.dir, { recursive: true, mode: 0o700 }).then(() => undefined);
    await this.#madeDir;
    await writePrivateFile(this.#path(key), JSON.stringify({ key, record }));
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  /** How many unfinished uploads are recorded. */
  async count(): Promise<number> {
    try {
      return (await readdir(this.dir)).filter((name) => name.endsWith('.json')).length;
    } catch {
      return 0;
    }
  }
}
