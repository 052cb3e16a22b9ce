// AES-256-GCM batches on worker threads, for the CLI's node:crypto AEAD backend. node:crypto costs
// about 10 us per 16 KiB chunk (a cipher object per nonce), which on one thread caps a transfer at
// about 1.5 GB/s and leaves no time for the socket, the disk or the hash; here a batch of chunks
// (1 MiB) is copied into one reused buffer, moved to a worker (no copy) with a buffer for the
// results, sealed or opened there, and both are moved back. The main thread keeps the network and
// the disk.
//
// Never: release plaintext of a batch in which any tag check failed (the worker zeroes the buffer
// and answers only "failed"); keep the process alive when idle (workers are unref'd between jobs).

import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { AeadItem } from '@hoard/crypto';
import { BatchBuffers } from './batch-buffers.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Input buffers kept for reuse (batches in flight at once, in practice). */
const SPARE_INPUTS = 4;

/** A batch as the worker receives it: every message laid out end to end in `input`. */
interface Job {
  id: number;
  op: 'seal' | 'open';
  key: KeyObject;
  /** 12 bytes per message. */
  nonces: Uint8Array;
  /** Input length of each message: plaintext (seal) or ciphertext || tag (open). */
  lengths: number[];
  /** The messages end to end (then unused bytes); handed back with the answer, for reuse. */
  input: ArrayBuffer;
  /** At least the size of the results, filled from the start by the worker. */
  output: ArrayBuffer;
}

type Reply = { id: number; input: ArrayBuffer } & ({ output: ArrayBuffer } | { failed: true });

/**
 * The worker's code. Self-contained (it runs from its source text in the worker, with its modules
 * passed in), so that it works the same from dist/ and from the TypeScript sources under test.
 * The results go end to end into `output` (seal: ciphertext || tag per message; open: the
 * plaintexts); on any failure the partial output is zeroed and dropped, and only "failed" goes back.
 * Both buffers come from the main thread, so that the worker's own heap holds nothing large (memory
 * a worker allocates and the main thread frees would stay in the worker's malloc arena).
 */
function workerMain(
  threads: typeof import('node:worker_threads'),
  crypto: typeof import('node:crypto'),
): void {
  const port = threads.parentPort!;
  port.on('message', (job: Job) => {
    const input = new Uint8Array(job.input);
    const output = new Uint8Array(job.output);
    try {
      let at = 0;
      let outAt = 0;
      for (let i = 0; i < job.lengths.length; i++) {
        const length = job.lengths[i]!;
        const nonce = job.nonces.subarray(i * 12, i * 12 + 12);
        if (job.op === 'seal') {
          const cipher = crypto.createCipheriv('aes-256-gcm', job.key, nonce, { authTagLength: 16 });
          output.set(cipher.update(input.subarray(at, at + length)), outAt);
          cipher.final();
          output.set(cipher.getAuthTag(), outAt + length);
          outAt += length + 16;
        } else {
          const decipher = crypto.createDecipheriv('aes-256-gcm', job.key, nonce, { authTagLength: 16 });
          decipher.setAuthTag(input.subarray(at + length - 16, at + length));
          const plain = decipher.update(input.subarray(at, at + length - 16));
          decipher.final(); // throws on a bad tag, before this message's plaintext is placed
          output.set(plain, outAt);
          outAt += plain.length;
        }
        at += length;
      }
      const reply: Reply = { id: job.id, input: job.input, output: job.output };
      port.postMessage(reply, [job.input, job.output]);
    } catch {
      output.fill(0);
      const reply: Reply = { id: job.id, input: job.input, failed: true };
      port.postMessage(reply, [job.input]);
    }
  });
}

const WORKER_SOURCE = `(${workerMain.toString()})(require('node:worker_threads'), require('node:crypto'))`;

interface Pending {
  resolve: (buffer: ArrayBuffer) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** The batch failed a tag check (or was malformed); nothing of it is released. */
export class AeadBatchError extends Error {
  override readonly name = 'AeadBatchError';
}

export interface AeadWorkerPoolOptions {
  /** Worker threads (started on first use). */
  threads: number;
  /**
   * Where result buffers come from and go back to (see release); share one with the calling-thread
   * path so that either reuses what the other lent. Default: the pool's own.
   */
  results?: BatchBuffers;
}

/**
 * Runs AES-256-GCM batches on up to `threads` worker threads, each batch on the least busy one.
 *
 * @example
 * const pool = new AeadWorkerPool({ threads: 2 });
 * const sealed = await pool.seal(createSecretKey(raw), [{ nonce, bytes: plaintext }]);
 * await pool.close();
 */
export class AeadWorkerPool {
  readonly #threads: number;
  readonly #workers: PoolWorker[] = [];
  /** Input buffers back from the workers, for the next batches. */
  readonly #inputs = new BatchBuffers(SPARE_INPUTS);
  /** Result buffers: lent to the caller with the results, given back through release. */
  readonly #results: BatchBuffers;
  #nextId = 1;
  #closed = false;

  constructor(options: AeadWorkerPoolOptions) {
    if (!Number.isSafeInteger(options.threads) || options.threads < 1) {
      throw new RangeError('threads must be a positive integer');
    }
    this.#threads = options.threads;
    this.#results = options.results ?? new BatchBuffers();
  }

  /** Seals every item (plaintext) under its nonce; each result is ciphertext || tag. */
  async seal(key: KeyObject, items: readonly AeadItem[]): Promise<Uint8Array[]> {
    const lengths = items.map((item) => item.bytes.length);
    const output = await this.#run('seal', key, items, lengths);
    let at = 0;
    return lengths.map((length) => {
      const sealed = new Uint8Array(output, at, length + TAG_BYTES);
      at += length + TAG_BYTES;
      return sealed;
    });
  }

  /**
   * Opens every item (ciphertext || tag) under its nonce. Rejects with AeadBatchError, releasing
   * nothing, if any tag fails. The plaintexts are adjacent views of one buffer.
   */
  async open(key: KeyObject, items: readonly AeadItem[]): Promise<Uint8Array[]> {
    const lengths = items.map((item) => item.bytes.length);
    if (lengths.some((length) => length < TAG_BYTES)) {
      throw new AeadBatchError('ciphertext shorter than the tag');
    }
    const output = await this.#run('open', key, items, lengths);
    let at = 0;
    return lengths.map((length) => {
      const plain = new Uint8Array(output, at, length - TAG_BYTES);
      at += length - TAG_BYTES;
      return plain;
    });
  }

  /**
   * Gives back the memory of a result of {@link AeadWorkerPool.open} or `seal` (any view of it) once
   * the caller is done with it, so that a later batch reuses it instead of leaving it to the
   * garbage collector (a download frees 1 MiB per batch; each full collection that takes costs
   * milliseconds). Anything else is ignored. The caller must not read `bytes` afterwards.
   */
  release(bytes: Uint8Array): void {
    this.#results.giveBack(bytes);
  }

  /** Stops every worker; batches still running reject, and later ones too. */
  async close(): Promise<void> {
    this.#closed = true;
    const workers = this.#workers.splice(0);
    for (const w of workers) this.#fail(w, new Error('the AEAD worker pool was closed'));
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  /**
   * A buffer holding every item's bytes end to end: a reused one when they fit (a fresh buffer per
   * batch costs a page fault per 4 KiB), else a fresh one that is not kept.
   */
  #layout(items: readonly AeadItem[]): ArrayBuffer {
    let total = 0;
    for (const item of items) total += item.bytes.length;
    // Uninitialised and unpooled: only the bytes written here are read, and it can be moved.
    const buffer = this.#inputs.take(total);
    const bytes = new Uint8Array(buffer);
    let at = 0;
    for (const item of items) {
      bytes.set(item.bytes, at);
      at += item.bytes.length;
    }
    return buffer;
  }

  #run(op: Job['op'], key: KeyObject, items: readonly AeadItem[], lengths: number[]): Promise<ArrayBuffer> {
    if (this.#closed) return Promise.reject(new Error('the AEAD worker pool was closed'));
    const nonces = new Uint8Array(items.length * NONCE_BYTES);
    items.forEach((item, i) => {
      if (item.nonce.length !== NONCE_BYTES) throw new TypeError('AES-GCM nonce must be 12 bytes');
      nonces.set(item.nonce, i * NONCE_BYTES);
    });
    const input = this.#layout(items);
    let outputBytes = 0;
    for (const length of lengths) outputBytes += op === 'seal' ? length + TAG_BYTES : length - TAG_BYTES;
    // Uninitialised (or a given-back result): the worker writes every byte of the results before
    // it comes back, or zeroes the buffer on failure.
    const output = this.#results.take(outputBytes);
    const target = this.#pick();
    const id = this.#nextId++;
    return new Promise<ArrayBuffer>((resolve, reject) => {
      if (target.pending.size === 0) target.worker.ref();
      target.pending.set(id, { resolve, reject });
      const job: Job = { id, op, key, nonces, lengths, input, output };
      target.worker.postMessage(job, [input, output, nonces.buffer]);
    });
  }

  /** The least busy worker, starting another while fewer than `threads` run. */
  #pick(): PoolWorker {
    let best: PoolWorker | undefined;
    for (const w of this.#workers) if (!best || w.pending.size < best.pending.size) best = w;
    if (best && (best.pending.size === 0 || this.#workers.length >= this.#threads)) return best;
    return this.#spawn();
  }

  #spawn(): PoolWorker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 1 } });
    const entry: PoolWorker = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (reply: Reply) => {
      this.#inputs.keep(reply.input);
      const pending = entry.pending.get(reply.id);
      if (!pending) return;
      entry.pending.delete(reply.id);
      if (entry.pending.size === 0) worker.unref();
      if ('failed' in reply) pending.reject(new AeadBatchError('AES-GCM batch failed'));
      else {
        this.#results.lend(reply.output);
        pending.resolve(reply.output);
      }
    });
    // A worker that dies takes its batches with it: they reject, and the next batch starts another.
    const retire = (error: Error): void => {
      const index = this.#workers.indexOf(entry);
      if (index >= 0) this.#workers.splice(index, 1);
      this.#fail(entry, error);
    };
    worker.on('error', retire);
    worker.on('exit', (code) => retire(new Error(`an AEAD worker stopped (exit code ${code})`)));
    this.#workers.push(entry);
    return entry;
  }

  #fail(entry: PoolWorker, error: Error): void {
    const pending = [...entry.pending.values()];
    entry.pending.clear();
    entry.worker.unref();
    for (const p of pending) p.reject(error);
  }
}
