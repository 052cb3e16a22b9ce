// Previews and streaming: a video seeked near its end plays from there and fetches only the
// chunks it needs (the service worker maps each Range to whole ciphertext chunks); images and
// text show in place; a PDF opens in the browser's own viewer under the strict CSP.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { signUp, testBytes, type Harness } from './harness.js';

/** An H.264 MP4 (moov first, a keyframe every second) of `seconds` at `bitrate`, made by ffmpeg. */
export function makeTestVideo(seconds: number, bitrate: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hoard-video-'));
  const path = join(dir, 'clip.mp4');
  execFileSync('ffmpeg', [
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=640x360:rate=25:duration=${seconds}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-b:v',
    bitrate,
    '-minrate',
    bitrate,
    '-maxrate',
    bitrate,
    '-bufsize',
    '2M',
    '-x264-params',
    'nal-hrd=cbr:keyint=25',
    '-pix_fmt',
    'yuv420p',
    '-movflags',
    '+faststart',
    path,
  ]);
  return path;
}

/** Ciphertext byte ranges requested from /versions/<id>/content, from the Range headers. */
export function contentRanges(requests: { url: string; range: string | undefined }[]) {
  return requests
    .filter((r) => r.url.includes('/versions/') && r.range)
    .map((r) => {
      const [, a, b] = /bytes=(\d+)-(\d+)/.exec(r.range!)!;
      return { start: Number(a), end: Number(b) + 1 };
    });
}

/**
 * In the preview just opened: waits until the video can play, notes `mark()` (e.g. the requests
 * so far), seeks to `secondsFromEnd` before the end, plays muted and waits until it plays there.
 */
export async function playNearEnd<T>(
  page: Page,
  secondsFromEnd: number,
  mark: () => T,
): Promise<{ durationSeconds: number; rangesBefore: T }> {
  const player = page.locator('video');
  await player.waitFor();
  await page.waitForFunction(() => document.querySelector('video')!.readyState >= 2, undefined, {
    timeout: 60_000,
  });
  const rangesBefore = mark();
  const durationSeconds = await player.evaluate((v: HTMLVideoElement) => v.duration);
  await player.evaluate((v: HTMLVideoElement, back) => {
    v.muted = true;
    v.currentTime = v.duration - back;
    void v.play();
  }, secondsFromEnd);
  await page.waitForFunction(
    (back) => {
      const v = document.querySelector('video')!;
      return v.currentTime > v.duration - back + 0.5 && v.readyState >= 3;
    },
    secondsFromEnd,
    { timeout: 60_000 },
  );
  return { durationSeconds, rangesBefore };
}

/**
 * The preview dialog of `name` just opened shows a frame at /sw/file/... (decrypted by the service
 * worker) in which chromium's PDF viewer (its own frame, found by its origin) shows `title`, the
 * title from the PDF's metadata, not the file name.
 */
export async function expectPdfViewer(page: Page, name: string, title: string) {
  const dialog = page.getByRole('dialog', { name });
  const src = (await dialog.locator(`iframe[title="${name}"]`).getAttribute('src'))!;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  expect(src).toMatch(new RegExp(`^/sw/file/[\\w-]+/${escaped}$`));
  const viewer = () => page.frames().find((f) => f.url().startsWith('chrome-extension://'));
  await expect.poll(viewer, { timeout: 30_000 }).toBeDefined();
  await expect.poll(() => viewer()!.locator('#title').textContent(), { timeout: 30_000 }).toBe(title);
  return { dialog, src };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

export function mediaScenarios(harness: () => Harness) {
  it('plays a video seeked near its end from there, fetching only the ranges it needs', async () => {
    const h = harness();
    const videoPath = makeTestVideo(120, '3M');
    try {
      const video = readFileSync(videoPath);
      const context = await h.context();
      const page = await context.newPage();
      await signUp(page, h.url);
      await page.getByLabel('Upload files').setInputFiles(videoPath);
      await page.getByRole('row', { name: 'clip.mp4', exact: true }).waitFor({ timeout: 120_000 });
      expect(
        await page
          .getByRole('row', { name: 'clip.mp4', exact: true })
          .locator('img.thumb')
          .getAttribute('src'),
      ).toMatch(/^data:image\/webp;base64,/);

      const requests: { url: string; range: string | undefined }[] = [];
      context.on('request', (r) => requests.push({ url: r.url(), range: r.headers().range }));
      await page.getByRole('row', { name: 'clip.mp4', exact: true }).dblclick();
      const { durationSeconds, rangesBefore } = await playNearEnd(
        page,
        5,
        () => contentRanges(requests).length,
      );
      expect(durationSeconds).toBeGreaterThan(110);
      const before = rangesBefore;
      const ranges = contentRanges(requests);
      const afterSeek = ranges.slice(before);
      const cipherSize = video.length + 56 + Math.ceil(video.length / 16384) * 16;
      // The seek fetched chunks near the end...
      expect(afterSeek.some((r) => r.start > cipherSize * 0.9)).toBe(true);
      // ...and nothing like the whole file was fetched.
      const fetched = ranges.reduce((sum, r) => sum + (r.end - r.start), 0);
      expect(fetched).toBeLessThan(cipherSize * 0.4);
      // The middle of the film was never asked for.
      expect(ranges.some((r) => r.start < cipherSize * 0.6 && r.end > cipherSize * 0.4)).toBe(false);
    } finally {
      rmSync(join(videoPath, '..'), { recursive: true, force: true });
    }
  }, 300_000);

  it('previews an image and a text file in place', async () => {
    const h = harness();
    const context = await h.context();
    const page = await context.newPage();
    await signUp(page, h.url);
    // A 2x2 PNG made by chromium itself, and a text file.
    const png = Buffer.from(
      await page.evaluate(async () => {
        const canvas = new OffscreenCanvas(64, 48);
        const g = canvas.getContext('2d')!;
        g.fillStyle = '#c33';
        g.fillRect(0, 0, 64, 48);
        const blob = await canvas.convertToBlob({ type: 'image/png' });
        return Array.from(new Uint8Array(await blob.arrayBuffer()));
      }),
    );
    await page.getByLabel('Upload files').setInputFiles([
      { name: 'red.png', mimeType: 'image/png', buffer: png },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Hello from Hoard\nline two\n') },
      { name: 'noise.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(testBytes(1000)) },
    ]);
    await page.getByRole('row', { name: 'notes.txt', exact: true }).waitFor({ timeout: 60_000 });
    await page.getByRole('row', { name: 'red.png', exact: true }).waitFor({ timeout: 60_000 });

    // The thumbnail was made in the page, travels in the encrypted attributes, and is nowhere on
    // the server's disk in the clear.
    const thumb = page.getByRole('row', { name: 'red.png', exact: true }).locator('img.thumb');
    const thumbnail = (await thumb.getAttribute('src'))!;
    expect(thumbnail).toMatch(/^data:image\/webp;base64,/);
    const payload = thumbnail.slice(thumbnail.indexOf(',') + 1, thumbnail.indexOf(',') + 41);
    for (const file of filesUnder(h.dataDir)) {
      const bytes = readFileSync(file);
      expect(bytes.includes(payload), file).toBe(false);
      expect(bytes.includes(Buffer.from(payload, 'base64')), file).toBe(false);
    }

    await page.getByRole('row', { name: 'red.png', exact: true }).dblclick();
    const image = page.getByRole('img', { name: 'red.png' });
    await image.waitFor();
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(64);
    await page.keyboard.press('Escape');

    await page.getByRole('row', { name: 'notes.txt', exact: true }).dblclick();
    await expect
      .poll(() => page.getByLabel('Text of notes.txt').textContent())
      .toBe('Hello from Hoard\nline two\n');
    await page.keyboard.press('Escape');
  }, 120_000);

  it('previews a PDF in place in the browser PDF viewer, under the strict CSP', async () => {
    const h = harness();
    const context = await h.context();
    const page = await context.newPage();
    const messages: string[] = [];
    page.on('console', (m) => messages.push(m.text()));
    const requested: string[] = [];
    context.on('request', (r) => requested.push(r.url()));
    await signUp(page, h.url);
    const pdf = makeTestPdf('Hoard PDF preview', 'Hoard test letter');
    await page
      .getByLabel('Upload files')
      .setInputFiles({ name: 'letter.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.getByRole('row', { name: 'letter.pdf', exact: true }).waitFor({ timeout: 60_000 });
    await page.getByRole('row', { name: 'letter.pdf', exact: true }).dblclick();

    // The dialog's frame shows /sw/file/... (decrypted by the service worker) and chromium put
    // its PDF viewer there: the frame's CSP let it load, and the viewer read the document (its
    // toolbar shows the title from the PDF's own metadata, not the file name).
    const { dialog, src } = await expectPdfViewer(page, 'letter.pdf', 'Hoard test letter');
    const embedding = await Promise.all(
      page
        .frames()
        .filter((f) => f.url() === `${h.url}${src}`)
        .map((f) => f.content()),
    );
    expect(embedding.join('')).toContain(`original-url="${h.url}${src}"`);
    // What it shows is the uploaded file, byte for byte.
    const served = await page.evaluate(async (url) => {
      const response = await fetch(url);
      return {
        type: response.headers.get('content-type'),
        bytes: Array.from(new Uint8Array(await response.arrayBuffer())),
      };
    }, src);
    expect(served.type).toBe('application/pdf');
    expect(Buffer.from(served.bytes).equals(pdf)).toBe(true);
    // Nothing was blocked, and nothing came from another site (the viewer's own chrome: and
    // chrome-extension: resources are the browser's, not the network's).
    expect(messages.filter((m) => /Content Security Policy|Refused/.test(m))).toEqual([]);
    expect(requested.filter((u) => /^(https?|wss?):/.test(u) && !u.startsWith(h.url))).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  }, 120_000);
}

/**
 * A one-page PDF 1.4 showing `text`, its document title `title` (objects, xref table and trailer
 * with exact offsets, as a PDF reader expects).
 */
export function makeTestPdf(text: string, title: string): Buffer {
  const stream = `BT /F1 24 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    `<< /Title (${title}) >>`,
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
