// Organising files in the browser: folders uploaded whole and downloaded as one ZIP, new folder,
// rename, move by dragging onto a folder, the bin (delete, restore, empty), versions, pause and
// cancel of an upload.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { HoardClient } from '@hoard/client';
import { signUp, testBytes, throttleUploads, type Harness } from './harness.js';

/** name -> sha256 of every entry of a ZIP, read by Python's zipfile (which also checks CRCs). */
export function zipListing(path: string): Record<string, string> {
  const script = [
    'import zipfile, sys, json, hashlib',
    'z = zipfile.ZipFile(sys.argv[1])',
    'assert z.testzip() is None',
    'print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' })) as Record<
    string,
    string
  >;
}

export const sha256 = (bytes: Uint8Array) =>
  execFileSync('sha256sum', { input: bytes, encoding: 'utf8' }).split(' ')[0]!;

export function organiseScenarios(harness: () => Harness) {
  it('uploads a whole folder and downloads it back as one ZIP', async () => {
    const h = harness();
    const dir = mkdtempSync(join(tmpdir(), 'hoard-folder-'));
    try {
      const album = join(dir, 'album');
      mkdirSync(join(album, 'day 2'), { recursive: true });
      const a = Buffer.from('first file\n');
      const b = Buffer.from(testBytes(2 * 1024 * 1024 + 7, 5));
      writeFileSync(join(album, 'a.txt'), a);
      writeFileSync(join(album, 'day 2', 'b.bin'), b);

      const page = await (await h.context()).newPage();
      await signUp(page, h.url);
      await page.getByLabel('Upload folder').setInputFiles(album);
      await page.getByRole('row', { name: 'album', exact: true }).waitFor();
      await expect
        .poll(() => page.getByRole('listitem', { name: 'Upload of b.bin' }).textContent(), {
          timeout: 60_000,
        })
        .toContain('Done');
      await expect
        .poll(() => page.getByRole('listitem', { name: 'Upload of a.txt' }).textContent(), {
          timeout: 60_000,
        })
        .toContain('Done');

      await page.getByRole('row', { name: 'album', exact: true }).click();
      const downloading = page.waitForEvent('download');
      await page.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Download' }).click();
      const download = await downloading;
      expect(download.suggestedFilename()).toBe('album.zip');
      expect(await download.failure()).toBeNull();
      expect(zipListing(await download.path())).toEqual({
        'album/': sha256(new Uint8Array(0)),
        'album/a.txt': sha256(a),
        'album/day 2/': sha256(new Uint8Array(0)),
        'album/day 2/b.bin': sha256(b),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('creates, renames, moves by drag, deletes to the bin, restores, and keeps versions', async () => {
    const h = harness();
    const page = await (await h.context()).newPage();
    await signUp(page, h.url);
    const toolbar = page.getByRole('toolbar', { name: 'Files' });
    const row = (name: string) => page.getByRole('row', { name, exact: true });

    await toolbar.getByRole('button', { name: 'New folder' }).click();
    await page.getByLabel('Folder name').fill('Projects');
    await page.getByRole('button', { name: 'Create folder' }).click();
    await row('Projects').waitFor();

    await page
      .getByLabel('Upload files')
      .setInputFiles({ name: 'draft.txt', mimeType: 'text/plain', buffer: Buffer.from('v1') });
    await row('draft.txt').waitFor();
    // The same name again: a new version.
    await page
      .getByLabel('Upload files')
      .setInputFiles({ name: 'draft.txt', mimeType: 'text/plain', buffer: Buffer.from('version two') });
    await expect.poll(() => row('draft.txt').textContent(), { timeout: 30_000 }).toContain('11 B');
    await row('draft.txt').click();
    await toolbar.getByRole('button', { name: 'Versions' }).click();
    const versions = page.getByRole('dialog', { name: 'Versions of draft.txt' });
    await expect.poll(() => versions.getByRole('listitem').count()).toBe(1);
    await versions.getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => row('draft.txt').textContent(), { timeout: 30_000 }).toContain('2 B');

    await row('draft.txt').click();
    await toolbar.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('New name').fill('final.txt');
    await page.getByRole('button', { name: 'Rename', exact: true }).last().click();
    await row('final.txt').waitFor();

    await row('final.txt').dragTo(row('Projects'));
    await expect.poll(() => row('final.txt').count()).toBe(0);
    await page.getByRole('button', { name: 'Projects', exact: true }).click();
    await row('final.txt').waitFor();

    await row('final.txt').click();
    await toolbar.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => row('final.txt').count()).toBe(0);
    await page.getByRole('link', { name: 'Bin' }).click();
    await page.getByRole('row', { name: 'final.txt' }).waitFor();
    await page.getByRole('button', { name: 'Restore final.txt' }).click();
    await page.getByText('The bin is empty.').waitFor();
    await page.getByRole('link', { name: 'My files' }).click();
    await page.getByRole('button', { name: 'Projects', exact: true }).click();
    await row('final.txt').waitFor();
  }, 180_000);

  it('pauses, resumes and cancels an upload', async () => {
    const h = harness();
    const page = await (await h.context()).newPage();
    await signUp(page, h.url);
    const dir = mkdtempSync(join(tmpdir(), 'hoard-pause-'));
    try {
      const path = join(dir, 'slow.bin');
      const file = Buffer.alloc(96 * 1024 * 1024);
      for (let i = 0; i < 96; i++) file.set(testBytes(1024 * 1024, i + 1), i * 1024 * 1024);
      writeFileSync(path, file);
      const gonePath = join(dir, 'gone.bin');
      writeFileSync(gonePath, file);
      // Slow enough that Pause and Cancel land while the upload runs.
      await throttleUploads(page, 16 * 1024 * 1024);
      await page.getByLabel('Upload files').setInputFiles(path);
      const job = page.getByRole('listitem', { name: 'Upload of slow.bin' });
      await job.getByRole('button', { name: 'Pause slow.bin' }).click();
      // The worker answers once its in-flight requests and batch have stopped: on a busy machine
      // that can take longer than expect.poll's default second.
      await expect.poll(() => job.textContent(), { timeout: 30_000 }).toContain('Paused');
      await job.getByRole('button', { name: 'Resume slow.bin' }).click();
      await expect.poll(() => job.textContent(), { timeout: 120_000 }).toContain('Done');
      await page.getByRole('row', { name: 'slow.bin', exact: true }).waitFor();
      const downloading = page.waitForEvent('download');
      await page.getByRole('row', { name: 'slow.bin', exact: true }).click();
      await page.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Download' }).click();
      expect(sha256(readFileSync(await (await downloading).path()))).toBe(sha256(file));

      await page.getByLabel('Upload files').setInputFiles(gonePath);
      const gone = page.getByRole('listitem', { name: 'Upload of gone.bin' });
      await gone.getByRole('button', { name: 'Cancel gone.bin' }).click();
      await expect.poll(() => gone.textContent(), { timeout: 30_000 }).toContain('Cancelled');
      await page.reload();
      await page.getByRole('row', { name: 'slow.bin', exact: true }).waitFor();
      expect(await page.getByRole('row', { name: 'gone.bin', exact: true }).count()).toBe(0);
      expect(await page.getByText('Unfinished uploads').count()).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('lists 10,000 entries with only the rows in view in the page, and sorts and scrolls them', async () => {
    const h = harness();
    const page = await (await h.context()).newPage();
    const email = await signUp(page, h.url);
    const session = await new HoardClient({ serverUrl: h.url }).login(email, 'correct horse battery');
    const big = await session.tree.createFolder(await session.tree.root(), 'big');
    const names = Array.from({ length: 10_000 }, (_, i) => `item-${String(i).padStart(5, '0')}`);
    for (let i = 0; i < names.length; i += 32) {
      await Promise.all(names.slice(i, i + 32).map((name) => session.tree.createFolder(big, name)));
    }

    await page.goto(`${h.url}/files/big`);
    const grid = page.getByRole('grid', { name: 'Contents of big' });
    await page.getByRole('row', { name: 'item-00000', exact: true }).waitFor({ timeout: 120_000 });
    expect(await grid.getAttribute('aria-rowcount')).toBe('10001');
    expect(await page.getByRole('row').count()).toBeLessThan(80);

    // Keyboard: End goes to the last entry, which is then in the page and focused.
    await page.getByRole('row', { name: 'item-00000', exact: true }).focus();
    await page.keyboard.press('End');
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('item-09999');

    // Sorting by name, descending: the last name comes first.
    await page.getByRole('button', { name: 'Name', exact: true }).click();
    await expect
      .poll(() => grid.getByRole('columnheader', { name: 'Name' }).getAttribute('aria-sort'))
      .toBe('descending');
    await page.evaluate(() => document.querySelector('.grid-body')!.scrollTo(0, 0));
    await page.getByRole('row', { name: 'item-09999', exact: true }).waitFor();
    expect(await page.getByRole('row').count()).toBeLessThan(80);
  }, 300_000);
}
