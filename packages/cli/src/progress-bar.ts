// A one-line progress bar (bytes, percentage, speed, ETA) redrawn in place on a TTY. Created only
// when stderr is a terminal: piped output gets no bar at all.

import type { Writable } from 'node:stream';
import { formatBytes, formatDuration } from './format.js';

/** A progress display for one transfer. */
export interface Progress {
  update(doneBytes: number, totalBytes: number): void;
  /** Clears the bar (the caller prints any summary). */
  finish(): void;
}

/** A Progress that shows nothing (piped stderr). */
export const silentProgress: Progress = { update: () => undefined, finish: () => undefined };

export class ProgressBar implements Progress {
  readonly #out: Writable & { columns?: number };
  readonly #label: string;
  readonly #startMs: number;
  readonly #now: () => number;
  #lastDrawMs = 0;
  #firstDone: number | undefined;
  #drawn = false;

  constructor(out: Writable & { columns?: number }, label: string, now: () => number = Date.now) {
    this.#out = out;
    this.#label = label;
    this.#now = now;
    this.#startMs = now();
  }

  update(doneBytes: number, totalBytes: number): void {
    const nowMs = this.#now();
    this.#firstDone ??= doneBytes;
    if (nowMs - this.#lastDrawMs < 100 && doneBytes < totalBytes) return;
    this.#lastDrawMs = nowMs;
    const elapsedSeconds = Math.max(0.001, (nowMs - this.#startMs) / 1000);
    const rate = (doneBytes - this.#firstDone) / elapsedSeconds;
    const fraction = totalBytes === 0 ? 1 : Math.min(1, doneBytes / totalBytes);
    const eta = rate > 0 ? (totalBytes - doneBytes) / rate : Infinity;
    const width = 20;
    const filled = Math.round(fraction * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const stats =
      ` [${bar}] ${String(Math.floor(fraction * 100)).padStart(3)}% ` +
      `${formatBytes(doneBytes)}/${formatBytes(totalBytes)} ${formatBytes(rate)}/s ETA ${formatDuration(eta)}`;
    const columns = this.#out.columns ?? 80;
    const room = Math.max(10, columns - stats.length - 1);
    const label = this.#label.length > room ? '…' + this.#label.slice(-(room - 1)) : this.#label;
    this.#out.write(`\r\x1b[2K${label}${stats}`);
    this.#drawn = true;
  }

  finish(): void {
    if (this.#drawn) this.#out.write('\r\x1b[2K');
    this.#drawn = false;
  }
}
