// A local file as an upload source: positional reads on one open handle, never the whole file.

import { open, type FileHandle } from 'node:fs/promises';
import type { UploadSource } from '@hoard/client';

/** An open local file the uploader reads at any offset. Close it when done. */
export class FileSource implements UploadSource {
  private constructor(
    private readonly handle: FileHandle,
    readonly sizeBytes: number,
    readonly mtimeMs: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    const handle = await open(path, 'r');
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new Error(`not a regular file: ${path}`);
      return new FileSource(handle, stats.size, Math.floor(stats.mtimeMs));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const buffer = new Uint8Array(length);
    const filled = await this.readInto(offset, buffer);
    return filled === length ? buffer : buffer.subarray(0, filled);
  }

  async readInto(offset: number, target: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < target.length) {
      const { bytesRead } = await this.handle.read(target, filled, target.length - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
