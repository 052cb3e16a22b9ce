// The page's view of uploads: a queue of jobs run by the upload worker (a few files at a time),
// with per-file and total progress, speed and ETA, pause, resume and cancel. It also remembers
// (in IndexedDB) which uploads are unfinished: after a reload, a file that came with a handle
// (dropped or picked in Chromium) resumes from that handle, and any other file is picked again
// into the same folder; either way the upload continues from the parts already on the server.
// Uploads into folders shared with this account go the same way, through the share's routes.
import type { RemoteEntry, SavedSession } from '@hoard/client';
import { idbAll, idbDelete, idbSet } from './shared/idb';
import { IdbResumeStore, resumeKeyOf, type PendingUpload } from './shared/idb-resume-store';
import type { UploadCommand, UploadEvent, UploadShare } from './shared/messages';
import { fileOfHandle } from './ui/dropped-files';
import { makeThumbnail } from './ui/thumbnails';

export type JobState = 'queued' | 'running' | 'paused' | 'done' | 'error' | 'cancelled';

export interface UploadJob {
  id: string;
  name: string;
  folderPath: string;
  parentId: string;
  sizeBytes: number;
  doneBytes: number;
  totalBytes: number;
  state: JobState;
  error?: string;
  /** Parts already on the server when the upload (re)started after a reload. */
  resumedParts?: number;
  partCount?: number;
  /** Bytes per second over the last few seconds. */
  speedBps: number;
}

/** A file to upload: into `parent` (of `shared`, else of the account's own tree). */
export interface NewUpload {
  file: File;
  parent: RemoteEntry;
  name?: string;
  shared?: UploadShare;
  handle?: FileSystemFileHandle;
}

/** Finds the folder of an unfinished upload again after a reload (by its path, in its tree). */
export type LocateFolder = (pending: PendingUpload) => Promise<{ parent: RemoteEntry; shared?: UploadShare }>;

interface Internal {
  job: UploadJob;
  file: File;
  parent: RemoteEntry;
  shared?: UploadShare;
  handle?: FileSystemFileHandle;
  resumeKey: string;
  samples: { at: number; bytes: number }[];
  /** Made once, before the first start (see thumbnails.ts). */
  thumbnail?: Promise<string | undefined>;
}

const PARALLEL_FILES = 3;

export class UploadManager {
  readonly #worker: Worker;
  readonly #jobs = new Map<string, Internal>();
  readonly #listeners = new Set<() => void>();
  #snapshot: UploadJob[] = [];
  #pending: PendingUpload[] = [];
  readonly #resuming = new Set<string>();
  /** Uploads finished since the page loaded (the quota bar follows it). */
  landedCount = 0;
  /** Called when a file lands (the page refreshes the folder it is in). */
  onDone: ((parentId: string) => void) | undefined;

  constructor() {
    this.#worker = new Worker(new URL('./workers/upload-worker.ts', import.meta.url), {
      type: 'module',
      name: 'hoard-uploads',
    });
    this.#worker.addEventListener('message', (event: MessageEvent<UploadEvent>) => this.#handle(event.data));
    void this.#loadPending();
  }

  setSession(saved: SavedSession): void {
    this.#post({ type: 'session', saved });
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  jobs = (): UploadJob[] => this.#snapshot;
  pending = (): PendingUpload[] => this.#pending;

  /** Queues files. */
  add(files: NewUpload[]): void {
    for (const { file, parent, name, shared, handle } of files) {
      const fileName = name ?? file.name;
      const id = crypto.randomUUID();
      this.#jobs.set(id, {
        job: {
          id,
          name: fileName,
          folderPath: parent.path,
          parentId: parent.id,
          sizeBytes: file.size,
          doneBytes: 0,
          totalBytes: file.size,
          state: 'queued',
          speedBps: 0,
        },
        file,
        parent,
        ...(shared ? { shared } : {}),
        ...(handle ? { handle } : {}),
        resumeKey: resumeKeyOf(parent.id, fileName, file),
        samples: [],
      });
    }
    this.#changed();
    this.#pump();
  }

  pause(id: string): void {
    const job = this.#jobs.get(id);
    if (job?.job.state === 'running') this.#post({ type: 'pause', jobId: id });
    else if (job?.job.state === 'queued') this.#update(job, { state: 'paused' });
  }

  resume(id: string): void {
    const job = this.#jobs.get(id);
    if (job && (job.job.state === 'paused' || job.job.state === 'error')) {
      this.#update(job, { state: 'queued' });
      this.#pump();
    }
  }

  cancel(id: string): void {
    const job = this.#jobs.get(id);
    if (!job) return;
    if (job.job.state === 'running') this.#post({ type: 'cancel', jobId: id });
    else if (job.job.state !== 'done') {
      void this.#forget(job.resumeKey);
      this.#update(job, { state: 'cancelled' });
    }
  }

  /** Removes finished jobs from the list. */
  clearFinished(): void {
    for (const [id, job] of this.#jobs) {
      if (job.job.state === 'done' || job.job.state === 'cancelled') this.#jobs.delete(id);
    }
    this.#changed();
  }

  /**
   * Continues an upload a reload interrupted from the file's stored handle (call it from a click:
   * the browser may ask the person to let Hoard read the file again). A file changed since, or a
   * folder moved, starts over (a fresh key: never different bytes under the same nonces).
   */
  async resumePending(resumeKey: string, locate: LocateFolder): Promise<void> {
    const pending = this.#pending.find((p) => p.resumeKey === resumeKey);
    // A second click while the first one still looks for the file and its folder does nothing.
    if (!pending || this.#resuming.has(resumeKey)) return;
    this.#resuming.add(resumeKey);
    try {
      const { handle } = pending;
      const file = handle && (await fileOfHandle(handle));
      if (!handle || !file) throw new Error(`Hoard may not read ${pending.name} any more: pick it again.`);
      const { parent, shared } = await locate(pending);
      if (resumeKeyOf(parent.id, pending.name, file) !== resumeKey) await this.#forget(resumeKey);
      this.add([{ file, parent, name: pending.name, handle, ...(shared ? { shared } : {}) }]);
    } finally {
      this.#resuming.delete(resumeKey);
    }
  }

  /** Drops an unfinished upload from before a reload (its parts expire on the server). */
  async discardPending(resumeKey: string): Promise<void> {
    await this.#forget(resumeKey);
  }

  async #forget(resumeKey: string): Promise<void> {
    await new IdbResumeStore().delete(resumeKey);
    await idbDelete('pending', resumeKey);
    await this.#loadPending();
  }

  async #loadPending(): Promise<void> {
    const all = await idbAll<PendingUpload>('pending');
    const active = new Set([...this.#jobs.values()].map((j) => j.resumeKey));
    this.#pending = all.filter((p) => !active.has(p.resumeKey));
    this.#changed();
  }

  #post(command: UploadCommand): void {
    this.#worker.postMessage(command);
  }

  #pump(): void {
    let running = [...this.#jobs.values()].filter((j) => j.job.state === 'running').length;
    for (const job of this.#jobs.values()) {
      if (running >= PARALLEL_FILES) break;
      if (job.job.state !== 'queued') continue;
      running++;
      this.#update(job, { state: 'running' });
      job.samples = [];
      const pending: PendingUpload = {
        resumeKey: job.resumeKey,
        name: job.job.name,
        folderPath: job.parent.path,
        sizeBytes: job.file.size,
        ...(job.shared ? { shareId: job.shared.share.id } : {}),
        ...(job.handle ? { handle: job.handle } : {}),
      };
      void idbSet('pending', job.resumeKey, pending).then(() => this.#loadPending());
      job.thumbnail ??= makeThumbnail(job.file);
      void job.thumbnail.then((thumbnail) =>
        this.#post({
          type: 'upload',
          jobId: job.job.id,
          file: job.file,
          parent: job.parent,
          name: job.job.name,
          resumeKey: job.resumeKey,
          ...(job.file.type ? { mime: job.file.type } : {}),
          ...(thumbnail ? { thumbnail } : {}),
          ...(job.shared ? { share: job.shared } : {}),
        }),
      );
    }
  }

  #handle(event: UploadEvent): void {
    const job = this.#jobs.get(event.jobId);
    if (!job) return;
    switch (event.type) {
      case 'progress': {
        const now = performance.now();
        job.samples.push({ at: now, bytes: event.doneBytes });
        while (job.samples.length > 2 && now - job.samples[0]!.at > 5000) job.samples.shift();
        const first = job.samples[0]!;
        const speedBps = now > first.at ? ((event.doneBytes - first.bytes) * 1000) / (now - first.at) : 0;
        this.#update(job, { doneBytes: event.doneBytes, totalBytes: event.totalBytes, speedBps });
        break;
      }
      case 'resumed':
        this.#update(job, { resumedParts: event.landedParts, partCount: event.partCount });
        break;
      case 'done':
        this.landedCount++;
        this.#update(job, { state: 'done', doneBytes: job.job.totalBytes, speedBps: 0 });
        void idbDelete('pending', job.resumeKey).then(() => this.#loadPending());
        this.onDone?.(job.parent.id);
        break;
      case 'stopped':
        this.#update(job, { state: event.reason, speedBps: 0 });
        if (event.reason === 'cancelled') void this.#forget(job.resumeKey);
        break;
      case 'error':
        this.#update(job, { state: 'error', error: event.message, speedBps: 0 });
        break;
    }
    this.#pump();
  }

  #update(job: Internal, patch: Partial<UploadJob>): void {
    job.job = { ...job.job, ...patch };
    this.#changed();
  }

  #changed(): void {
    this.#snapshot = [...this.#jobs.values()].map((j) => j.job);
    for (const listener of this.#listeners) listener();
  }
}
