import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32, zipStream, type ZipEntry } from './zip-stream.js';

function streamOf(bytes: Uint8Array, pieceBytes = 1000): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + pieceBytes));
      offset += pieceBytes;
    },
  });
}

describe('zipStream', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(0, new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const half = crc32(0, new TextEncoder().encode('12345'));
    expect(crc32(half, new TextEncoder().encode('6789'))).toBe(0xcbf43926);
  });

  it('writes an archive that Python zipfile reads back byte for byte (folders, UTF-8 names, empty files)', async () => {
    const big = crypto.getRandomValues(new Uint8Array(65536));
    const files: Record<string, Uint8Array> = {
      'trip/a.txt': new TextEncoder().encode('hello'),
      'trip/día 2/b.bin': big,
      'trip/empty': new Uint8Array(0),
    };
    const entries: ZipEntry[] = [
      { path: 'trip/' },
      { path: 'trip/día 2/' },
      ...Object.entries(files).map(([path, bytes]) => ({
        path,
        mtimeMs: Date.UTC(2024, 5, 1),
        open: () => Promise.resolve(streamOf(bytes)),
      })),
    ];
    const archive = new Uint8Array(await new Response(zipStream(entries)).arrayBuffer());
    const dir = mkdtempSync(join(tmpdir(), 'hoard-zip-'));
    try {
      const path = join(dir, 'out.zip');
      writeFileSync(path, archive);
      const script = [
        'import zipfile, sys, json, hashlib',
        'z = zipfile.ZipFile(sys.argv[1])',
        'assert z.testzip() is None',
        'print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))',
      ].join('\n');
      const listed = JSON.parse(
        execFileSync('python3', ['-c', script, path], { encoding: 'utf8' }),
      ) as Record<string, string>;
      const sha = async (b: Uint8Array) =>
        Buffer.from(await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>)).toString('hex');
      expect(Object.keys(listed)).toEqual(['trip/', 'trip/día 2/', ...Object.keys(files)]);
      for (const [name, bytes] of Object.entries(files)) expect(listed[name]).toBe(await sha(bytes));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
