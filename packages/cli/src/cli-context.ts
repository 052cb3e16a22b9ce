// What every command needs: the environment (HOARD_SERVER, HOARD_HOME, HOARD_PASSWORD, ...),
// stdio, the SDK client (with the node:crypto AEAD and the node:http transport injected), the saved
// session and prompts. The only place the CLI reads its environment; commands receive a CliContext.

import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ApiError, HoardClient, type HoardSession, type SavedSession } from '@hoard/client';
import type { Aead } from '@hoard/crypto';
import { AeadWorkerPool } from './aead-worker-pool.js';
import { BatchBuffers } from './batch-buffers.js';
import { HoardHome } from './hoard-home.js';
import { createNodeAead } from './node-aead.js';
import { nodeFetch } from './node-fetch.js';
import { ProgressBar, silentProgress, type Progress } from './progress-bar.js';
import { promptLine } from './prompt.js';

export interface CliIo {
  env: Record<string, string | undefined>;
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  cwd: string;
}

/** A failure the CLI reports as `hoard: <message>` (exit code 1, or `exitCode`). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * Worker threads for content encryption: HOARD_CRYPTO_THREADS, else none. Measured on a shared
 * 2-CPU machine (bench/transfer.mjs), one worker cost more CPU per GiB than it saved (copies and
 * messages) and raised the peak RSS of a 1 GiB put to 183-197 MiB (node:crypto allocates a buffer
 * per 16 KiB chunk, and each thread's heap holds tens of MiB of them before a collection), so it
 * is for machines with CPUs to spare.
 */
function cryptoThreads(env: CliIo['env']): number {
  const raw = env.HOARD_CRYPTO_THREADS;
  if (raw === undefined || raw === '') return 0;
  if (!/^\d{1,2}$/.test(raw)) {
    throw new CliError(`HOARD_CRYPTO_THREADS must be a number of threads, not ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

export class CliContext {
  readonly serverUrl: string;
  readonly home: HoardHome;
  readonly client: HoardClient;
  /** AES-256-GCM on node:crypto; file contents on worker threads (started on first use). */
  readonly aead: Aead;
  readonly #pool: AeadWorkerPool | undefined;
  /** Memory of batches of decrypted (or sealed) chunks, reused once their bytes are written. */
  readonly #results = new BatchBuffers();

  constructor(readonly io: CliIo) {
    this.serverUrl = (io.env.HOARD_SERVER || 'http://localhost:8080').replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+/.test(this.serverUrl)) {
      throw new CliError(`HOARD_SERVER must be an http(s) URL, not ${JSON.stringify(this.serverUrl)}`);
    }
    const home = io.env.HOARD_HOME || join(io.env.HOME || homedir(), '.config', 'hoard');
    this.home = new HoardHome(resolve(io.cwd, home));
    const threads = cryptoThreads(io.env);
    this.#pool = threads > 0 ? new AeadWorkerPool({ threads, results: this.#results }) : undefined;
    this.aead = createNodeAead(this.#pool, this.#results);
    this.client = new HoardClient({
      serverUrl: this.serverUrl,
      content: { aead: this.aead },
      fetch: nodeFetch,
    });
  }

  /**
   * Gives back a piece of decrypted content that is in its file now (nothing reads it again): its
   * memory is reused for the next batch instead of left to the garbage collector.
   */
  readonly written = (bytes: Uint8Array): void => this.#results.giveBack(bytes);

  /** Stops the crypto worker threads (the command is over). */
  async close(): Promise<void> {
    await this.#pool?.close();
  }

  /** Writes one line to stdout. */
  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** Writes one line to stderr (notices, never results). */
  note(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** A progress bar on stderr if it is a terminal, nothing otherwise. */
  progress(label: string): Progress {
    return this.io.stderr.isTTY ? new ProgressBar(this.io.stderr, label) : silentProgress;
  }

  get interactive(): boolean {
    return Boolean(this.io.stdin.isTTY);
  }

  /** Asks a question on the terminal (hidden or not); fails when there is no terminal. */
  async ask(question: string, hidden: boolean, envHint: string): Promise<string> {
    if (!this.interactive) throw new CliError(`no terminal to ask on: set ${envHint}`);
    return promptLine(this.io.stdin, this.io.stderr, question, hidden);
  }

  /** The account password: HOARD_PASSWORD, or asked without echo. */
  async password(question = 'Password: '): Promise<string> {
    const fromEnv = this.io.env.HOARD_PASSWORD;
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const answer = await this.ask(question, true, 'HOARD_PASSWORD');
    if (answer === '') throw new CliError('the password may not be empty');
    return answer;
  }

  /** A new password: from `envName`, or asked twice without echo. */
  async newPassword(envName: string): Promise<string> {
    const fromEnv = this.io.env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const first = await this.ask('New password: ', true, envName);
    if (first === '') throw new CliError('the password may not be empty');
    const second = await this.ask('New password again: ', true, envName);
    if (first !== second) throw new CliError('the passwords do not match');
    return first;
  }

  /** The saved session, reopened; fails with a clear message when there is none. */
  async session(): Promise<HoardSession> {
    const saved = await this.home.loadSession();
    if (!saved) throw new CliError('not logged in: run `hoard login EMAIL` (or `hoard signup EMAIL`)');
    if (saved.serverUrl !== this.serverUrl) {
      throw new CliError(`not logged in to ${this.serverUrl} (the saved session is for ${saved.serverUrl})`);
    }
    try {
      return await this.client.resume(saved);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') {
        throw new CliError('the session expired or was revoked: run `hoard login EMAIL`');
      }
      throw error;
    }
  }

  /** The raw saved session, if any. */
  savedSession(): Promise<SavedSession | undefined> {
    return this.home.loadSession();
  }

  async saveSession(session: HoardSession): Promise<void> {
    await this.home.saveSession(await session.save());
  }
}
