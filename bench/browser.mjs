// Browser benchmark (issue 5). In one run, in Debian's chromium against a local one-box server built
// from this checkout (run `npm run build` first; `npm run bench` does not build):
//   the page's own WebCrypto AES-256-GCM rate (16 KiB chunks, 64 in flight: how the SDK calls it)
//   upload of N MiB through the page (file input -> worker -> server), MB/s and its ratio to it
//   download of the same file (service worker -> disk), MB/s and its ratio to it
//   time from a seek to the first frame shown, in a video of V MiB (ffmpeg-made H.264), median of S
//   seeks (default 5), with the requests to the server they cost
// Beside the upload and download figures: where their CPU time went (on Linux, from /proc), in ms of
// CPU per MB moved, per process (the server; chromium's browser, network and renderer processes)
// and per thread within them (the upload worker, the service worker...). On a machine whose cores
// are all busy a transfer can go no faster than the cores divided by that sum. And figures for the
// transport alone, each with its CPU breakdown: for upload, the same bytes as Blob part bodies
// (nothing read or encrypted); for download, the same ciphertext fetched by the service worker with
// the session's bearer token, read and dropped (nothing decrypted, nothing written). They show the
// ceiling the machine allows a transfer.
// Options: --size-mib N (default 256), --video-mib V (default 1024), --seeks S (default 5), --keep.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
// The server's test support (built dist): starts hoard-server and waits for /healthz, one way only.
import { spawnServer } from '@hoard/server/testing';
import { chromium } from 'playwright-core';

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '256' },
    'video-mib': { type: 'string', default: '1024' },
    seeks: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
  },
});
const sizeMiB = Number(values['size-mib']);
const videoMiB = Number(values['video-mib']);
const seekCount = Number(values.seeks);
const MiB = 1024 * 1024;
const work = mkdtempSync(join(tmpdir(), 'hoard-bench-browser-'));
const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);

/**
 * CPU ticks used so far by every thread of the server and of chromium, keyed by thread, with the
 * process kind and thread name (Linux only; empty elsewhere).
 */
function cpuSnapshot(serverPid) {
  const threads = new Map();
  if (!existsSync('/proc/self/task')) return threads;
  // Only this run's processes: the server and the chromium processes descended from this script
  // (other chromium instances on the machine are not ours).
  const parents = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parents.set(Number(pid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended meanwhile
    }
  }
  const ours = (pid) => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p))
      if (p === process.pid) return true;
    return false;
  };
  for (const pid of parents.keys()) {
    let kind;
    try {
      if (pid === serverPid) kind = 'server';
      else if (ours(pid)) {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (!cmd.includes('chromium')) continue;
        const type = /--type=([a-z-]+)/.exec(cmd)?.[1] ?? 'browser';
        const sub = /--utility-sub-type=([a-z]+)/i.exec(cmd)?.[1];
        kind = `chromium ${sub ?? type}`;
      } else continue;
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        threads.set(`${pid}/${tid}`, { kind, name, ticks: Number(fields[11]) + Number(fields[12]) });
      }
    } catch {
      // the process or thread ended meanwhile
    }
  }
  return threads;
}

/** "total X ms CPU/MB: server a, chromium renderer b (thread c, ...), ..." between two snapshots. */
function cpuBreakdown(before, after, bytes) {
  if (after.size === 0) return '(no /proc: CPU breakdown not available)';
  const msPerMB = (ticks) => (ticks * 10) / (bytes / 1e6); // 100 ticks per second on Linux
  const kinds = new Map();
  for (const [id, { kind, name, ticks }] of after) {
    const used = ticks - (before.get(id)?.ticks ?? 0);
    if (used <= 0) continue;
    const entry = kinds.get(kind) ?? { ticks: 0, threads: new Map() };
    entry.ticks += used;
    entry.threads.set(name, (entry.threads.get(name) ?? 0) + used);
    kinds.set(kind, entry);
  }
  const total = [...kinds.values()].reduce((sum, k) => sum + k.ticks, 0);
  const lines = [...kinds]
    .sort((a, b) => b[1].ticks - a[1].ticks)
    .filter(([, k]) => msPerMB(k.ticks) >= 0.2)
    .map(([kind, k]) => {
      const threads = [...k.threads]
        .sort((a, b) => b[1] - a[1])
        .filter(([, t]) => msPerMB(t) >= 0.2)
        .slice(0, 4)
        .map(([name, t]) => `${name} ${msPerMB(t).toFixed(1)}`)
        .join(', ');
      return `      ${msPerMB(k.ticks).toFixed(1).padStart(5)}  ${kind} (${threads})`;
    });
  return [`    CPU: ${msPerMB(total).toFixed(1)} ms per MB in all, of which:`, ...lines].join('\n');
}

const server = await spawnServer({ dataDir: join(work, 'data') });
const url = server.url;
const browser = await chromium.launch({
  executablePath: process.env.HOARD_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
});

try {
  // A file of random-looking bytes (incompressible), written in 1 MiB blocks.
  const file = join(work, 'payload.bin');
  const fd = openSync(file, 'w');
  const block = new Uint8Array(MiB);
  for (let i = 0; i < sizeMiB; i++) {
    crypto.getRandomValues(block.subarray(0, 65536));
    for (let k = 65536; k < MiB; k += 65536) block.copyWithin(k, 0, 65536);
    block[0] = i & 0xff;
    writeSync(fd, block);
  }
  closeSync(fd);

  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  // The session's bearer token, as the page sends it (for the transport-only figures below), and
  // the ciphertext route the service worker reads a download from (it sends the same token).
  let token;
  let contentPath;
  let serverRequests = 0;
  context.on('request', (request) => {
    if (new URL(request.url()).origin === url) serverRequests++;
    const authorization = request.headers().authorization;
    if (authorization?.startsWith('Bearer ')) token = authorization.slice(7);
    const path = new URL(request.url()).pathname;
    if (/^\/versions\/[^/]+\/content$/.test(path)) contentPath = path;
  });
  await page.goto(`${url}/signup`);
  await page.getByLabel('Email').fill('bench@example.com');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByLabel('I have saved my recovery words').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'New folder' }).waitFor();

  // 1. The page's own AES-GCM rate, the way the SDK calls it.
  const measureAes = () =>
    page.evaluate(async (mib) => {
      const key = await crypto.subtle.importKey(
        'raw',
        crypto.getRandomValues(new Uint8Array(32)),
        'AES-GCM',
        false,
        ['encrypt'],
      );
      const chunk = crypto.getRandomValues(new Uint8Array(16384));
      const started = performance.now();
      const batches = (mib * 1024 * 1024) / (16384 * 64);
      for (let b = 0; b < batches; b++) {
        await Promise.all(
          Array.from({ length: 64 }, (_, i) => {
            const iv = new Uint8Array(12);
            new DataView(iv.buffer).setUint32(8, b * 64 + i);
            return crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, chunk);
          }),
        );
      }
      return (mib * 1024 * 1024) / 1e6 / ((performance.now() - started) / 1000);
    }, sizeMiB);
  const aesMBps = await measureAes();

  // 2. Upload through the page.
  let cpuBefore = cpuSnapshot(server.process.pid);
  let started = performance.now();
  await page.getByLabel('Upload files').setInputFiles(file);
  await page.waitForFunction(
    () => document.querySelector('[aria-label="Upload of payload.bin"]')?.textContent?.includes('Done'),
    undefined,
    { timeout: 600_000, polling: 50 },
  );
  const uploadMs = performance.now() - started;
  const uploadCpu = cpuBreakdown(cpuBefore, cpuSnapshot(server.process.pid), sizeMiB * MiB);

  // 2b. The transport alone, as the upload worker uses it but with nothing read or encrypted: the
  // same number of bytes as 8 MiB Blob part bodies, 4 in flight, from the page to the server (an
  // upload that is then dropped). What upload could reach if reading and encryption were free.
  cpuBefore = cpuSnapshot(server.process.pid);
  const transportMBps = await page.evaluate(
    async ({ sizeBytes, token }) => {
      const auth = { authorization: `Bearer ${token}` };
      const created = await fetch('/uploads', {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ sizeBytes }),
      });
      const { upload } = await created.json();
      const part = crypto.getRandomValues(new Uint8Array(65536));
      const bytes = new Uint8Array(upload.partSizeBytes);
      for (let o = 0; o < bytes.length; o += part.length) bytes.set(part.subarray(0, bytes.length - o), o);
      let next = 1;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next <= upload.partCount) {
            const n = next++;
            const size = Math.min(upload.partSizeBytes, sizeBytes - (n - 1) * upload.partSizeBytes);
            const response = await fetch(`/uploads/${upload.id}/parts/${n}`, {
              method: 'PUT',
              headers: { ...auth, 'content-type': 'application/octet-stream' },
              body: new Blob([bytes.subarray(0, size)]),
            });
            if (!response.ok) throw new Error(`part ${n}: ${response.status}`);
          }
        }),
      );
      const ms = performance.now() - t0;
      await fetch(`/uploads/${upload.id}`, { method: 'DELETE', headers: auth });
      return sizeBytes / 1e6 / (ms / 1000);
    },
    { sizeBytes: sizeMiB * MiB, token },
  );
  const transportCpu = cpuBreakdown(cpuBefore, cpuSnapshot(server.process.pid), sizeMiB * MiB);

  // 3. Download through the service worker, to disk.
  await page.getByRole('row', { name: 'payload.bin', exact: true }).click();
  cpuBefore = cpuSnapshot(server.process.pid);
  started = performance.now();
  const downloading = page.waitForEvent('download', { timeout: 600_000 });
  await page.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Download' }).click();
  const download = await downloading;
  const saved = await download.path();
  const downloadMs = performance.now() - started;
  const downloadCpu = cpuBreakdown(cpuBefore, cpuSnapshot(server.process.pid), sizeMiB * MiB);
  if (statSync(saved).size !== sizeMiB * MiB) throw new Error('the download has the wrong size');

  // 3b. The transport alone, as the service worker reads a download but with nothing decrypted:
  // the same ciphertext, fetched in the service worker with the session's bearer token, read and
  // dropped. What download could reach if decryption were free. (Not written to disk: the page has
  // no way to the download manager but the service worker's own fetch handler, and the origin's
  // private file system writes through a swap file that costs more than the whole real download.)
  if (!contentPath) throw new Error('the download did not read /versions/<id>/content');
  const [serviceWorker] = context.serviceWorkers();
  if (!serviceWorker) throw new Error('no service worker');
  cpuBefore = cpuSnapshot(server.process.pid);
  const fetched = await serviceWorker.evaluate(
    async ({ path, token }) => {
      const t0 = performance.now();
      const response = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
      if (!response.ok || !response.body) throw new Error(`content: ${response.status}`);
      let bytes = 0;
      const reader = response.body.getReader();
      for (let read = await reader.read(); !read.done; read = await reader.read()) bytes += read.value.length;
      return { bytes, ms: performance.now() - t0 };
    },
    { path: contentPath, token },
  );
  const downTransportCpu = cpuBreakdown(cpuBefore, cpuSnapshot(server.process.pid), sizeMiB * MiB);
  // Rated per plaintext MB like the real download (the ciphertext is 0.1% longer).
  const downTransportMBps = mbps(sizeMiB * MiB, fetched.ms);
  if (fetched.bytes < sizeMiB * MiB) throw new Error('the ciphertext is short');

  // The same measurement once more, after the transfers: on a shared machine the baseline moves
  // with the load, and this shows by how much within one run (the ratios use the first one).
  const aesAfterMBps = await measureAes();

  // 4. Seek to first frame in a big video.
  const video = join(work, 'film.mp4');
  const seconds = Math.max(10, Math.round((videoMiB * 8 * 1.048576) / 40));
  execFileSync('ffmpeg', [
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=1280x720:rate=25:duration=${seconds}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-b:v',
    '40M',
    '-minrate',
    '40M',
    '-maxrate',
    '40M',
    '-bufsize',
    '8M',
    '-x264-params',
    'nal-hrd=cbr:keyint=25',
    '-pix_fmt',
    'yuv420p',
    '-movflags',
    '+faststart',
    video,
  ]);
  const videoBytes = statSync(video).size;
  await page.getByLabel('Upload files').setInputFiles(video);
  await page.waitForFunction(
    () => document.querySelector('[aria-label="Upload of film.mp4"]')?.textContent?.includes('Done'),
    undefined,
    { timeout: 1_200_000, polling: 200 },
  );
  await page.getByRole('row', { name: 'film.mp4', exact: true }).dblclick();
  await page.waitForFunction(() => (document.querySelector('video')?.readyState ?? 0) >= 2, undefined, {
    timeout: 120_000,
  });
  // Seeks spread over the film, never twice to the same place (the first five as ever).
  const fractions = [0.9, 0.3, 0.75, 0.5, 0.15];
  for (let i = fractions.length; i < seekCount; i++) fractions.push(((i * 0.618034) % 0.9) + 0.05);
  const seeks = [];
  const requestsBefore = serverRequests;
  for (const at of fractions.slice(0, seekCount)) {
    seeks.push(
      await page.evaluate(
        (fraction) =>
          new Promise((resolve) => {
            const v = document.querySelector('video');
            v.muted = true;
            v.pause();
            const t0 = performance.now();
            v.requestVideoFrameCallback(() => resolve(performance.now() - t0));
            v.currentTime = v.duration * fraction;
          }),
        at,
      ),
    );
  }
  // Requests the page and its service worker made to the server during the seeks (content
  // location, header, chunks...), per seek.
  const requestsPerSeek = (serverRequests - requestsBefore) / seekCount;
  seeks.sort((a, b) => a - b);

  const bytes = sizeMiB * MiB;
  const up = mbps(bytes, uploadMs);
  const down = mbps(bytes, downloadMs);
  console.log(
    `browser benchmark (chromium ${browser.version()}, ${sizeMiB} MiB file, one-box server on this machine)`,
  );
  console.log(
    `  page WebCrypto AES-256-GCM (16 KiB x 64 in flight)   ${aesMBps.toFixed(1)} MB/s  (baseline)`,
  );
  console.log(
    `    the same again after the download                   ${aesAfterMBps.toFixed(1)} MB/s  (not used in the ratios)`,
  );
  console.log(
    `  upload   (input -> worker -> server)                  ${up.toFixed(1)} MB/s  = ${(up / aesMBps).toFixed(2)}x`,
  );
  console.log(uploadCpu);
  console.log(
    `    transport alone (8 MiB Blob parts x 4, no read, no crypto)  ${transportMBps.toFixed(1)} MB/s  = ${(transportMBps / aesMBps).toFixed(2)}x`,
  );
  console.log(transportCpu.replace(/^ {4}/gm, '      '));
  console.log(
    `  download (server -> service worker -> disk)           ${down.toFixed(1)} MB/s  = ${(down / aesMBps).toFixed(2)}x`,
  );
  console.log(downloadCpu);
  console.log(
    `    transport alone (service worker fetch, no decryption, dropped)  ${downTransportMBps.toFixed(1)} MB/s  = ${(downTransportMBps / aesMBps).toFixed(2)}x`,
  );
  console.log(downTransportCpu.replace(/^ {4}/gm, '      '));
  console.log(
    `  seek to first frame, ${(videoBytes / MiB).toFixed(0)} MiB video   median ${seeks[Math.floor((seekCount - 1) / 2)].toFixed(0)} ms (min ${seeks[0].toFixed(0)}, max ${seeks[seekCount - 1].toFixed(0)}, ${seekCount} seeks, ${requestsPerSeek.toFixed(1)} server requests per seek)`,
  );
} finally {
  await browser.close();
  await server.stop();
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}
