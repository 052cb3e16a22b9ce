// Browser benchmark (issue 5). In one run, in Debian's chromium against a local one-box server built
// from this checkout (run `npm run build` first; `npm run bench` does not build):
//   the page's own WebCrypto AES-256-GCM rate (16 KiB chunks, 64 in flight: how the SDK calls it)
//   upload of N MiB through the page (file input -> worker -> server), MB/s and its ratio to it
//   download of the same file (service worker -> disk), MB/s and its ratio to it
//   time from a seek to the first frame shown, in a video of V MiB (ffmpeg-made H.264), median of 5
// Options: --size-mib N (default 256), --video-mib V (default 1024), --keep.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
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
    keep: { type: 'boolean', default: false },
  },
});
const sizeMiB = Number(values['size-mib']);
const videoMiB = Number(values['video-mib']);
const MiB = 1024 * 1024;
const work = mkdtempSync(join(tmpdir(), 'hoard-bench-browser-'));
const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);

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
  await page.goto(`${url}/signup`);
  await page.getByLabel('Email').fill('bench@example.com');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByLabel('I have saved my recovery words').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'New folder' }).waitFor();

  // 1. The page's own AES-GCM rate, the way the SDK calls it.
  const aesMBps = await page.evaluate(async (mib) => {
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

  // 2. Upload through the page.
  let started = performance.now();
  await page.getByLabel('Upload files').setInputFiles(file);
  await page.waitForFunction(
    () => document.querySelector('[aria-label="Upload of payload.bin"]')?.textContent?.includes('Done'),
    undefined,
    { timeout: 600_000, polling: 50 },
  );
  const uploadMs = performance.now() - started;

  // 3. Download through the service worker, to disk.
  await page.getByRole('row', { name: 'payload.bin', exact: true }).click();
  started = performance.now();
  const downloading = page.waitForEvent('download', { timeout: 600_000 });
  await page.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Download' }).click();
  const download = await downloading;
  const saved = await download.path();
  const downloadMs = performance.now() - started;
  if (statSync(saved).size !== sizeMiB * MiB) throw new Error('the download has the wrong size');

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
  const seeks = [];
  for (const at of [0.9, 0.3, 0.75, 0.5, 0.15]) {
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
    `  upload   (input -> worker -> server)                  ${up.toFixed(1)} MB/s  = ${(up / aesMBps).toFixed(2)}x`,
  );
  console.log(
    `  download (server -> service worker -> disk)           ${down.toFixed(1)} MB/s  = ${(down / aesMBps).toFixed(2)}x`,
  );
  console.log(
    `  seek to first frame, ${(videoBytes / MiB).toFixed(0)} MiB video   median ${seeks[2].toFixed(0)} ms (min ${seeks[0].toFixed(0)}, max ${seeks[4].toFixed(0)}, 5 seeks)`,
  );
} finally {
  await browser.close();
  await server.stop();
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}
