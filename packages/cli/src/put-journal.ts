// What an interrupted `hoard put` of many files had finished. Running the same command again must
// continue, not start over: a file still uploading resumes from its landed parts (its resume
// record), and a file that was complete must not be uploaded again, which would make it a new
// version of itself. So a put records each file it completes, one JSON line appended per file, and
// deletes the journal when the whole command succeeds: a later run of the same command, on purpose,
// uploads new versions as usual. A file counts as done only while its local size and mtime are
// the ones recorded and the remote file's current version is the one this put made.
//
// A crash between a file's completion and its line reaching the disk costs that file a second
// upload (a new version), never a lost one; a torn last line is ignored.

import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RemoteEntry } from '@hoard/client';

interface DoneFile {
  /** The file's resume key: local real path, remote folder id and name. */
  key: string;
  sizeBytes: number;
  mtimeMs: number;
  versionId: string;
}

/** The local file as it is now. */
export interface LocalFileState {
  sizeBytes: number;
  mtimeMs: number;
}

export class PutJournal {
  readonly #done = new Map<string, DoneFile>();
  #handle: FileHandle | undefined;
  #writes: Promise<void> = Promise.resolve();

  private constructor(readonly path: string) {}

  /**
   * The journal of one command (`commandKey`: what identifies it, such as its local paths and its
   * remote target) under `dir`, with what an earlier, interrupted run of it recorded.
   */
  static async open(dir: string, commandKey: string): Promise<PutJournal> {
    const name = createHash('sha256').update(commandKey).digest('hex').slice(0, 32);
    const journal = new PutJournal(join(dir, `${name}.jsonl`));
    let text = '';
    try {
      text = await readFile(journal.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      const done = parseLine(line);
      if (done) journal.#done.set(done.key, done);
    }
    return journal;
  }

  /** Files an earlier run of this command recorded as uploaded. */
  get earlierFiles(): number {
    return this.#done.size;
  }

  /** Whether an earlier run of this command recorded the file under `key`. */
  recorded(key: string): boolean {
    return this.#done.has(key);
  }

  /**
   * True when an earlier run of this command uploaded this file as it is now, and `remote` (what
   * is at its name in the remote folder) still has that upload as its current version.
   */
  isDone(key: string, local: LocalFileState, remote: RemoteEntry | null | undefined): boolean {
    const done = this.#done.get(key);
    return (
      done !== undefined &&
      done.sizeBytes === local.sizeBytes &&
      done.mtimeMs === local.mtimeMs &&
      remote?.type === 'file' &&
      remote.node.currentVersion?.id === done.versionId
    );
  }

  /**
   * Records a file this run uploaded (the journal file is made on the first one). Records are
   * written one after another: several small files finish at once, and lines must not interleave.
   */
  record(key: string, local: LocalFileState, versionId: string): Promise<void> {
    const line =
      JSON.stringify({ key, sizeBytes: local.sizeBytes, mtimeMs: local.mtimeMs, versionId }) + '\n';
    this.#writes = this.#writes.then(async () => {
      if (!this.#handle) {
        await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
        this.#handle = await open(this.path, 'a', 0o600);
      }
      await this.#handle.appendFile(line);
    });
    return this.#writes;
  }

  /** The command succeeded: nothing is left to resume. */
  async finish(): Promise<void> {
    await this.close();
    await rm(this.path, { force: true });
  }

  /** The command is over (kept for the next run if it did not succeed). */
  async close(): Promise<void> {
    await this.#writes.catch(() => undefined);
    await this.#handle?.close();
    this.#handle = undefined;
  }
}

function parseLine(line: string): DoneFile | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value = JSON.parse(line) as Partial<DoneFile>;
    if (
      typeof value.key === 'string' &&
      typeof value.sizeBytes === 'number' &&
      typeof value.mtimeMs === 'number' &&
      typeof value.versionId === 'string'
    ) {
      return value as DoneFile;
    }
  } catch {
    // a line torn by a crash mid-append
  }
  return undefined;
}
