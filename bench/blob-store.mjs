#!/usr/bin/env node
// FsBlobStore benchmark: the server's side of an upload and a download, without HTTP or crypto, so
// that the store's own cost is visible. In one run, on the same disk (a temp dir, or --dir):
//   write MB/s: a blob of --size-mib streamed through putPart in 8 MiB parts, 4 in flight (each part
//     fdatasync'd), then completeMultipart (fsync, rename, dir fsync)  vs  `dd conv=fsync` of the size
//   read MB/s: the blob streamed back through read(), and one 64 MiB range
//   peak RSS of this process after each size (flat memory: it must not grow with the blob size)
// Build first (`npm run build`); run `node bench/blob-store.mjs [--size-mib 1024] [--dir DIR]`.
// Prints figures, never passes or fails on timing.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { 'size-mib': { type: 'string', default: '1024' }, dir: { type: 'string' } },
});
const { FsBlobStore } = await import('../packages/server/dist/storage/fs-blob-store.js');
const MiB = 1024 * 1024;
const PART = 8 * MiB;
const sizeMiB = Number(values['size-mib']);
const work = mkdtempSync(join(values.dir ?? tmpdir(), 'hoard-blob-bench-'));
const mbps = (bytes, ms) => (bytes / 1e6 / (ms / 1000)).toFixed(1);
const peakRssMiB = () => (process.resourceUsage().maxRSS / 1024).toFixed(0);

// Incompressible bytes without paying for randomBytes on every chunk: one random MiB, each 64 KiB
// chunk a fresh subarray view (the disk does not care, and no buffer outlives its write).
const pool = randomBytes(MiB);
function partBody(sizeBytes) {
  let sent = 0;
  return new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (sent >= sizeBytes) return void this.push(null);
      const n = Math.min(64 * 1024, sizeBytes - sent);
      const at = sent % (MiB - 64 * 1024);
      sent += n;
      this.push(pool.subarray(at, at + n));
    },
  });
}

async function drain(stream) {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.length;
  return bytes;
}

async function writeBlob(store, sizeBytes) {
  const key = randomBytes(16).toString('base64url');
  const handle = await store.createMultipart(key, sizeBytes);
  const count = Math.max(1, Math.ceil(sizeBytes / PART));
  const parts = [];
  let next = 1;
  const worker = async () => {
    while (next <= count) {
      const n = next++;
      const size = n < count ? PART : sizeBytes - (count - 1) * PART;
      parts.push(
        await store.putPart(
          key,
          handle,
          { partNumber: n, offsetBytes: (n - 1) * PART, sizeBytes: size },
          partBody(size),
        ),
      );
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await store.completeMultipart(key, handle, parts);
  return key;
}

try {
  const store = new FsBlobStore({ rootDir: work });
  console.log(`FsBlobStore benchmark in ${work} (Node ${process.version})`);
  for (const mib of [Math.max(64, Math.floor(sizeMiB / 4)), sizeMiB]) {
    const bytes = mib * MiB;
    let t = performance.now();
    const dd = spawnSync(
      'dd',
      ['if=/dev/zero', `of=${join(work, 'dd.bin')}`, 'bs=1M', `count=${mib}`, 'conv=fsync'],
      {
        stdio: 'ignore',
      },
    );
    const ddMs = performance.now() - t;
    rmSync(join(work, 'dd.bin'), { force: true });
    if (dd.status !== 0) throw new Error('dd failed');

    t = performance.now();
    const key = await writeBlob(store, bytes);
    const writeMs = performance.now() - t;
    t = performance.now();
    const readBytes = await drain(await store.read(key));
    const readMs = performance.now() - t;
    t = performance.now();
    const rangeBytes = await drain(
      await store.read(key, { start: Math.floor(bytes / 3), end: Math.floor(bytes / 3) + 64 * MiB - 1 }),
    );
    const rangeMs = performance.now() - t;
    await store.delete(key);
    console.log(
      `  ${String(mib).padStart(5)} MiB: write ${mbps(bytes, writeMs)} MB/s (dd conv=fsync ${mbps(bytes, ddMs)} MB/s, ` +
        `ratio ${(ddMs / writeMs).toFixed(2)}x); read ${mbps(readBytes, readMs)} MB/s; ` +
        `64 MiB range ${mbps(rangeBytes, rangeMs)} MB/s; peak RSS so far ${peakRssMiB()} MiB`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
