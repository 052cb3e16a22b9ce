// A big upload survives a reload: picked again after the reload, the file continues from the
// parts already on the server, and the result is byte for byte the file. A file dropped from the
// desktop comes with a handle (File System Access) that the page keeps in IndexedDB: after a reload
// it resumes from that handle, with no picking again; so does a file picked with "Upload files",
// which in chromium opens the browser's file picker (showOpenFilePicker) for handles.
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { dropFromDisk, partlyUploaded, signUp, testBytes, throttleUploads, type Harness } from './harness.js';

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  return hash.digest('hex');
}

export function uploadScenarios(harness: () => Harness) {
  it('resumes a 300 MiB upload after a reload midway', async () => {
    const h = harness();
    const dir = mkdtempSync(join(tmpdir(), 'hoard-big-'));
    const path = join(dir, 'big.bin');
    try {
      const mib = 1024 * 1024;
      const block = testBytes(mib, 3);
      const file = Buffer.alloc(300 * mib);
      for (let i = 0; i < 300; i++) {
        file.set(block, i * mib);
        file.writeUInt32LE(i, i * mib); // every MiB differs
      }
      writeFileSync(path, file);
      const expected = createHash('sha256').update(file).digest('hex');

      const context = await h.context();
      const page = await context.newPage();
      await signUp(page, h.url);
      // Slow the page's uploads to 25 MiB/s so that the reload surely lands midway.
      await throttleUploads(page, 25 * 1024 * 1024);
      await page.getByLabel('Upload files').setInputFiles(path);
      const fraction = await page.waitForFunction(
        () => {
          const bar = document.querySelector<HTMLProgressElement>(
            'progress[aria-label="Progress of big.bin"]',
          );
          return bar !== null && bar.value / bar.max > 0.3 ? bar.value / bar.max : false;
        },
        undefined,
        { timeout: 240_000, polling: 100 },
      );
      expect(await fraction.jsonValue()).toBeLessThan(1);
      await page.reload();

      // The page remembers the unfinished upload; picking the file again continues it.
      await page.getByText('Unfinished uploads').waitFor();
      await page.getByLabel('Upload files').setInputFiles(path);
      const status = page.getByRole('listitem', { name: 'Upload of big.bin' });
      await expect
        .poll(() => status.textContent(), { timeout: 60_000 })
        .toMatch(/resumed \((\d+) of (\d+) parts/);
      const [, landed] = /resumed \((\d+) of/.exec((await status.textContent())!)!;
      expect(Number(landed)).toBeGreaterThan(0);
      await page.getByRole('row', { name: 'big.bin', exact: true }).waitFor({ timeout: 240_000 });
      await expect.poll(() => page.getByText('Unfinished uploads').count()).toBe(0);

      await page.getByRole('row', { name: 'big.bin', exact: true }).click();
      const downloading = page.waitForEvent('download', { timeout: 120_000 });
      await page.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Download' }).click();
      const download = await downloading;
      expect(await download.failure()).toBeNull();
      expect(await sha256File(await download.path())).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('resumes a dropped file from its stored handle after a reload, without picking it again', async () => {
    const h = harness();
    const dir = mkdtempSync(join(tmpdir(), 'hoard-handle-'));
    const path = join(dir, 'dropped.bin');
    try {
      const mib = 1024 * 1024;
      const file = Buffer.alloc(64 * mib);
      for (let i = 0; i < 64; i++) file.set(testBytes(mib, 200 + i), i * mib);
      writeFileSync(path, file);

      const page = await (await h.context()).newPage();
      await signUp(page, h.url);
      await throttleUploads(page, 8 * mib);
      // A real drop of a file from disk: chromium gives the page a FileSystemFileHandle for it.
      await dropFromDisk(page, page.getByRole('grid'), [path]);
      // Some parts landed, not all: then the page goes away.
      expect(await partlyUploaded(page, 'dropped.bin')).toBeLessThan(1);
      await page.reload();

      // The unfinished upload kept its handle: Resume, and nothing to pick.
      const unfinished = page.getByRole('listitem', { name: 'Unfinished upload of dropped.bin' });
      await unfinished.waitFor();
      expect(await page.getByText('Pick these files again').count()).toBe(0);
      await unfinished.getByRole('button', { name: 'Resume dropped.bin' }).click();
      const status = page.getByRole('listitem', { name: 'Upload of dropped.bin' });
      await expect
        .poll(() => status.textContent(), { timeout: 60_000 })
        .toMatch(/resumed \((\d+) of (\d+) parts/);
      const [, landed] = /resumed \((\d+) of/.exec((await status.textContent())!)!;
      expect(Number(landed)).toBeGreaterThan(0);
      await expect.poll(() => status.textContent(), { timeout: 120_000 }).toContain('Done');
      await expect.poll(() => page.getByText('Unfinished uploads').count()).toBe(0);

      await page.getByRole('row', { name: 'dropped.bin', exact: true }).click();
      const downloading = page.waitForEvent('download', { timeout: 120_000 });
      await page.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Download' }).click();
      const download = await downloading;
      expect(await download.failure()).toBeNull();
      expect(await sha256File(await download.path())).toBe(createHash('sha256').update(file).digest('hex'));

      // A folder dropped from disk is walked through its directory handle, subfolders included.
      const album = join(dir, 'album');
      mkdirSync(join(album, 'day 2'), { recursive: true });
      writeFileSync(join(album, 'a.txt'), 'first\n');
      writeFileSync(join(album, 'day 2', 'b.txt'), 'second\n');
      // (What the page's drop handler is given: a directory handle, so it walks handles.)
      await page.evaluate(() => {
        const seen = window as unknown as { droppedKind?: Promise<string | undefined> };
        seen.droppedKind = new Promise((resolve) =>
          window.addEventListener(
            'drop',
            (event) => {
              const item = event.dataTransfer?.items[0] as
                | (DataTransferItem & { getAsFileSystemHandle(): Promise<FileSystemHandle | null> })
                | undefined;
              void item?.getAsFileSystemHandle().then((handle) => resolve(handle?.kind));
            },
            { capture: true, once: true },
          ),
        );
      });
      await dropFromDisk(page, page.getByRole('grid'), [album]);
      expect(
        await page.evaluate(() => (window as unknown as { droppedKind: Promise<string> }).droppedKind),
      ).toBe('directory');
      for (const name of ['a.txt', 'b.txt']) {
        await expect
          .poll(() => page.getByRole('listitem', { name: `Upload of ${name}` }).textContent(), {
            timeout: 60_000,
          })
          .toContain('Done');
      }
      await page.getByRole('row', { name: 'album', exact: true }).dblclick();
      await page.getByRole('row', { name: 'a.txt', exact: true }).waitFor();
      await page.getByRole('row', { name: 'day 2', exact: true }).dblclick();
      await page.getByRole('row', { name: 'b.txt', exact: true }).waitFor();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('picks with the browser pickers (a file resumes from its handle after a reload; a folder)', async () => {
    const h = harness();
    const mib = 1024 * 1024;
    const page = await (await h.context()).newPage();
    await signUp(page, h.url);
    // Playwright cannot answer chromium's showOpenFilePicker dialog (microsoft/playwright#8850), so
    // the dialog alone is stood in for: it hands back a real FileSystemFileHandle, of a file written
    // into this origin's private file system (the same bytes as testBytes(24 MiB, 77) here).
    await page.evaluate(async (size) => {
      const root = await navigator.storage.getDirectory();
      const handle = await root.getFileHandle('picked.bin', { create: true });
      const writable = await handle.createWritable();
      const bytes = new Uint8Array(size);
      let x = 77;
      for (let i = 0; i < size; i += 4) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        bytes[i] = x & 0xff;
        bytes[i + 1] = (x >>> 8) & 0xff;
        bytes[i + 2] = (x >>> 16) & 0xff;
        bytes[i + 3] = (x >>> 24) & 0xff;
      }
      await writable.write(bytes);
      await writable.close();
      (
        window as unknown as { showOpenFilePicker: () => Promise<FileSystemFileHandle[]> }
      ).showOpenFilePicker = () => Promise.resolve([handle]);
    }, 24 * mib);
    const expected = createHash('sha256')
      .update(testBytes(24 * mib, 77))
      .digest('hex');
    await throttleUploads(page, 4 * mib);
    // A click on "Upload files" goes to the picker, not to the plain input.
    await page.locator('label', { hasText: 'Upload files' }).click();
    expect(await partlyUploaded(page, 'picked.bin')).toBeLessThan(1);
    await page.reload();

    const unfinished = page.getByRole('listitem', { name: 'Unfinished upload of picked.bin' });
    await unfinished.getByRole('button', { name: 'Resume picked.bin' }).click();
    const status = page.getByRole('listitem', { name: 'Upload of picked.bin' });
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/resumed \([1-9]\d* of/);
    await expect.poll(() => status.textContent(), { timeout: 120_000 }).toContain('Done');
    await page.getByRole('row', { name: 'picked.bin', exact: true }).click();
    const downloading = page.waitForEvent('download', { timeout: 120_000 });
    await page.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Download' }).click();
    const download = await downloading;
    expect(await download.failure()).toBeNull();
    expect(await sha256File(await download.path())).toBe(expected);

    // "Upload folder" the same way: the folder picker's directory handle, walked with subfolders.
    await page.evaluate(async () => {
      const root = await navigator.storage.getDirectory();
      const trip = await root.getDirectoryHandle('trip', { create: true });
      const day = await trip.getDirectoryHandle('day 1', { create: true });
      for (const [folder, name] of [
        [trip, 'x.txt'],
        [day, 'y.txt'],
      ] as const) {
        const writable = await (await folder.getFileHandle(name, { create: true })).createWritable();
        await writable.write(`${name}\n`);
        await writable.close();
      }
      (
        window as unknown as { showDirectoryPicker: () => Promise<FileSystemDirectoryHandle> }
      ).showDirectoryPicker = () => Promise.resolve(trip);
    });
    await page.locator('label', { hasText: 'Upload folder' }).click();
    await page.getByRole('row', { name: 'trip', exact: true }).dblclick();
    await page.getByRole('row', { name: 'x.txt', exact: true }).waitFor({ timeout: 60_000 });
    await page.getByRole('row', { name: 'day 1', exact: true }).dblclick();
    await page.getByRole('row', { name: 'y.txt', exact: true }).waitFor({ timeout: 60_000 });
  }, 300_000);
}
