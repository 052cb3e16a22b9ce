// Reused memory for batches of AES-GCM results (64 chunks of 16 KiB, sealed or opened). A download
// or upload of a GiB moves a thousand batches; a fresh buffer for each, held while it is written
// to a file or a socket, outlives a young-generation collection and then waits for a full one: a
// 1 GiB get took about 100 full collections that way, and they cost more than the decryption.
// Results are handed out (`lend`), given back by whoever is done with them (`giveBack`), and the
// next batch takes one of those instead of allocating.
//
// Never: give back a buffer that was not lent (a view of anything else is ignored), or read a
// result after giving it back (the next batch overwrites it).

/** Size of a batch buffer: 64 sealed 16 KiB chunks, which also holds 64 opened ones. */
export const BATCH_BUFFER_BYTES = 64 * (16384 + 16);

export class BatchBuffers {
  readonly #spares: ArrayBuffer[] = [];
  /** Buffers lent out as results and not given back yet. */
  readonly #lent = new WeakSet<ArrayBuffer>();

  /** Keeps at most `maxSpares` buffers of `BATCH_BUFFER_BYTES` for reuse. */
  constructor(private readonly maxSpares = 8) {}

  /**
   * A buffer of at least `bytes`, uninitialised: a spare one when it fits, else a fresh one (never
   * from Node's shared pool, so it can be transferred to a worker and kept whole).
   */
  take(bytes: number): ArrayBuffer {
    const spare = bytes <= BATCH_BUFFER_BYTES ? this.#spares.pop() : undefined;
    return spare ?? Buffer.allocUnsafeSlow(Math.max(bytes, BATCH_BUFFER_BYTES)).buffer;
  }

  /** Keeps `buffer` for a later batch (one nobody reads any more, e.g. an input back from a worker). */
  keep(buffer: ArrayBuffer): void {
    if (buffer.byteLength === BATCH_BUFFER_BYTES && this.#spares.length < this.maxSpares) {
      this.#spares.push(buffer);
    }
  }

  /** Marks `buffer` as results given to a caller, which may give it back. */
  lend(buffer: ArrayBuffer): void {
    this.#lent.add(buffer);
  }

  /**
   * Takes back the buffer of `bytes` (any view of a lent one) for reuse; anything else is ignored.
   * The caller must not read `bytes`, or any other result of that batch, afterwards.
   */
  giveBack(bytes: Uint8Array): void {
    const buffer = bytes.buffer as ArrayBuffer;
    if (this.#lent.delete(buffer)) this.keep(buffer);
  }

  /** Spare buffers held now (for tests). */
  get spareCount(): number {
    return this.#spares.length;
  }
}
