// Writing a download to stdout (or any Node Writable), with backpressure: the next piece is read only
// once the writable has room, so memory holds a few batches, never the file.
import type { Writable } from 'node:stream';

function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      out.off('error', onError);
      resolve();
    };
    const onError = (error: Error): void => {
      out.off('drain', onDrain);
      reject(error);
    };
    out.once('drain', onDrain);
    out.once('error', onError);
  });
}

/**
 * Writes every piece of `stream` to `out`; on an error the stream is cancelled. The pieces are never
 * reused afterwards: a Writable may keep a reference to what it was given (a PassThrough does, until
 * it is read), so unlike a file handle's write, its callback does not mean the bytes were copied.
 */
export async function writeStreamTo(out: Writable, stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (!out.write(value)) await drained(out);
    }
  } catch (error) {
    await reader.cancel(error).catch(() => undefined);
    throw error;
  } finally {
    reader.releaseLock();
  }
}
