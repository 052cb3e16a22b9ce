// Sharing between accounts in two browser contexts: ada shares a folder with bob read-only (bob's
// safety number shown and pinned); bob accepts, downloads the same bytes (20 MiB, decrypted to disk
// by his service worker), previews an image in place, downloads the whole folder as one ZIP and has
// no way to write; ada removes bob and bob's view says the share is gone; shared again with "Can
// edit", bob uploads through the same upload queue as his own files (by the input, by a drop, a big
// one paused and resumed, and one dropped from disk that a reload interrupts and Resume continues
// from its stored handle) and ada finds the same bytes in her folder. And a member plays a video
// of a shared folder from near its end (only the ranges needed fetched) and previews its PDF.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JSHandle } from 'playwright-core';
import type { Page, Request } from 'playwright-core';
import { expect, it } from 'vitest';
import {
  downloadRow,
  dropFromDisk,
  partlyUploaded,
  signUp,
  testBytes,
  throttleUploads,
  type Harness,
} from './harness.js';
import { expectReadable } from './look.scenarios.js';
import {
  contentRanges,
  expectPdfViewer,
  makeTestPdf,
  makeTestVideo,
  playNearEnd,
} from './media.scenarios.js';
import { sha256, zipListing } from './organise.scenarios.js';

async function shareWith(page: Page, folder: string, email: string, canEdit: boolean) {
  await page.getByRole('row', { name: folder, exact: true }).click();
  await page.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog', { name: `Share ${folder}` });
  await dialog.getByLabel("Person's email").fill(email);
  if (canEdit) await dialog.getByLabel('Can edit').check();
  await dialog.getByRole('button', { name: 'Share with person' }).click();
  await expect.poll(() => dialog.getByRole('status').last().textContent()).toContain(`Invited ${email}`);
  expect(await dialog.getByLabel('Safety number').textContent()).toMatch(/^[\d ]{20,}$/);
  const member = dialog.getByRole('listitem', { name: email });
  expect(await member.textContent()).toContain(canEdit ? 'can edit' : 'read-only');
  return { dialog, member };
}

/** A PNG of `width` x `height` made by chromium itself. */
async function makePng(page: Page, width: number, height: number): Promise<Buffer> {
  const bytes = await page.evaluate(
    async ([w, h]) => {
      const canvas = new OffscreenCanvas(w!, h!);
      const g = canvas.getContext('2d')!;
      g.fillStyle = '#36c';
      g.fillRect(0, 0, w!, h!);
      const blob = await canvas.convertToBlob({ type: 'image/png' });
      return Array.from(new Uint8Array(await blob.arrayBuffer()));
    },
    [width, height],
  );
  return Buffer.from(bytes);
}

/** A DataTransfer made in the page holding one file (what a drop from the desktop carries). */
function fileTransfer(page: Page, name: string, bytes: Uint8Array): Promise<JSHandle<DataTransfer>> {
  return page.evaluateHandle(
    ([fileName, b64]) => {
      const transfer = new DataTransfer();
      const data = Uint8Array.from(atob(b64!), (c) => c.charCodeAt(0));
      transfer.items.add(new File([data], fileName!, { type: 'application/octet-stream' }));
      return transfer;
    },
    [name, Buffer.from(bytes).toString('base64')],
  );
}

async function acceptAndOpen(page: Page, url: string, from: string, folder: string) {
  await page.goto(`${url}/shared`);
  const invitation = page.getByRole('listitem', { name: `Invitation from ${from}` });
  await invitation.getByRole('button', { name: 'Accept' }).click();
  await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Accepted');
  await page.getByRole('list', { name: 'Shared folders' }).getByRole('button', { name: folder }).click();
}

const row = (page: Page, name: string) => page.getByRole('row', { name, exact: true });

/** ada and bob, each signed up in a browser context of their own. */
async function adaAndBob(h: Harness) {
  const ada = await (await h.context()).newPage();
  const bobContext = await h.context({ alongside: true });
  const bob = await bobContext.newPage();
  const adaEmail = await signUp(ada, h.url);
  const bobEmail = await signUp(bob, h.url);
  return { ada, bob, bobContext, adaEmail, bobEmail };
}

/** Makes a folder in the current folder and opens it. */
async function newFolderAndOpen(page: Page, name: string) {
  await page.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'New folder' }).click();
  await page.getByLabel('Folder name').fill(name);
  await page.getByRole('button', { name: 'Create folder' }).click();
  await page.getByRole('button', { name, exact: true }).click();
}

export function sharesScenarios(harness: () => Harness) {
  it('shares a folder with another account read-only, removes it, then shares it writable', async () => {
    const h = harness();
    const { ada, bob, bobContext, adaEmail, bobEmail } = await adaAndBob(h);

    // ada: a folder with a file in it.
    await newFolderAndOpen(ada, 'Project');
    // Big enough that holding it in the page would show: it streams through the service worker.
    const bytes = Buffer.from(testBytes(20 * 1024 * 1024 + 17, 31));
    const png = await makePng(ada, 80, 60);
    await ada.getByLabel('Upload files').setInputFiles([
      { name: 'report.bin', mimeType: 'application/octet-stream', buffer: bytes },
      { name: 'blue.png', mimeType: 'image/png', buffer: png },
    ]);
    await row(ada, 'report.bin').waitFor({ timeout: 120_000 });
    await row(ada, 'blue.png').waitFor({ timeout: 120_000 });
    await ada.goto(`${h.url}/files`);

    // Read-only.
    const { dialog, member } = await shareWith(ada, 'Project', bobEmail, false);
    await acceptAndOpen(bob, h.url, adaEmail, 'Project');
    await row(bob, 'report.bin').waitFor();
    // The download is served by bob's service worker at /sw/file/..., which itself fetched the
    // share's ciphertext (the page never did): decrypted straight to disk, not through a blob:.
    const contentRequests: Request[] = [];
    bobContext.on('request', (r) => {
      if (/\/shares\/[^/]+\/versions\/[^/]+\/content/.test(r.url())) contentRequests.push(r);
    });
    await row(bob, 'report.bin').click();
    const downloading = bob.waitForEvent('download', { timeout: 120_000 });
    await bob.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Download' }).click();
    const download = await downloading;
    expect(await download.failure()).toBeNull();
    expect(readFileSync(await download.path()).equals(bytes)).toBe(true);
    expect(download.url().startsWith(`${h.url}/sw/file/`)).toBe(true);
    expect(download.suggestedFilename()).toBe('report.bin');
    expect(contentRequests.length).toBeGreaterThan(0);
    expect(contentRequests.every((r) => r.serviceWorker() !== null)).toBe(true);
    // Read-only: a drop is refused with a message, nothing is queued.
    const refused = await fileTransfer(bob, 'refused.bin', testBytes(1000, 34));
    await bob.dispatchEvent('.shared-folder', 'dragover', { dataTransfer: refused });
    await bob.dispatchEvent('.shared-folder', 'drop', { dataTransfer: refused });
    await expect.poll(() => bob.getByRole('alert').textContent()).toContain('read-only');
    expect(await bob.getByRole('listitem', { name: 'Upload of refused.bin' }).count()).toBe(0);
    // The image previews in place, decrypted by bob's service worker from the share's routes.
    await row(bob, 'blue.png').dblclick();
    const image = bob.getByRole('dialog', { name: 'blue.png' }).getByRole('img', { name: 'blue.png' });
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(80);
    expect(await image.getAttribute('src')).toMatch(/^\/sw\/file\//);
    await bob.keyboard.press('Escape');
    // Everything in the folder, as one ZIP named after it.
    await row(bob, 'blue.png').click();
    await row(bob, 'report.bin').click({ modifiers: ['Control'] });
    const zipping = bob.waitForEvent('download', { timeout: 120_000 });
    await bob.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Download' }).click();
    const zip = await zipping;
    expect(await zip.failure()).toBeNull();
    expect(zip.suggestedFilename()).toBe('Project.zip');
    expect(zipListing(await zip.path())).toEqual({ 'blue.png': sha256(png), 'report.bin': sha256(bytes) });
    expect(await bob.getByLabel('Upload files').count()).toBe(0);
    expect(await bob.getByRole('button', { name: 'New folder' }).count()).toBe(0);
    await row(bob, 'report.bin').press('Delete');
    await expect.poll(() => bob.getByRole('alert').textContent()).toContain('read-only');

    // ada removes bob: his next action says the share is gone.
    await member.getByRole('button', { name: 'Remove' }).click();
    await dialog.getByText('Only you.').waitFor();
    await bob.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Download' }).click();
    await expect.poll(() => bob.getByRole('alert').textContent()).toContain('This share is gone');

    // Read-write: bob uploads, ada sees the file in her folder with the same bytes.
    // bob's keys as pinned in ada's browser are made to differ: sharing is refused until ada
    // compares safety numbers and trusts the keys now published.
    await ada.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.startsWith('hoard.contacts.'))!;
      const contacts = JSON.parse(localStorage.getItem(key)!) as { signingPublicKey: string }[];
      contacts[0]!.signingPublicKey = 'A'.repeat(43);
      localStorage.setItem(key, JSON.stringify(contacts));
    });
    await dialog.getByLabel("Person's email").fill(bobEmail);
    await dialog.getByLabel('Can edit').check();
    await dialog.getByRole('button', { name: 'Share with person' }).click();
    await expect
      .poll(() => dialog.getByRole('alert').textContent())
      .toContain(`The keys of ${bobEmail} changed`);
    await dialog.getByText('Only you.').waitFor();
    await dialog.getByRole('button', { name: /trust the new keys/ }).click();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await shareWith(ada, 'Project', bobEmail, true);
    await acceptAndOpen(bob, h.url, adaEmail, 'Project');
    // bob's uploads run in his upload worker with per-file progress, as his own files do.
    const fromBob = Buffer.from(testBytes(300_000, 32));
    await bob
      .getByLabel('Upload files')
      .setInputFiles({ name: 'from-bob.bin', mimeType: 'application/octet-stream', buffer: fromBob });
    await row(bob, 'from-bob.bin').waitFor({ timeout: 60_000 });
    await expect
      .poll(() => bob.getByRole('listitem', { name: 'Upload of from-bob.bin' }).textContent())
      .toContain('Done');
    const dropped = Buffer.from(testBytes(200_000, 33));
    const transfer = await fileTransfer(bob, 'dropped-by-bob.bin', dropped);
    await bob.dispatchEvent('.shared-folder', 'dragover', { dataTransfer: transfer });
    await bob.dispatchEvent('.shared-folder', 'drop', { dataTransfer: transfer });
    await row(bob, 'dropped-by-bob.bin').waitFor({ timeout: 60_000 });
    // A big one, slowed so that Pause lands while it runs, then resumed to the end.
    const big = Buffer.alloc(40 * 1024 * 1024);
    for (let i = 0; i < 40; i++) big.set(testBytes(1024 * 1024, 100 + i), i * 1024 * 1024);
    await throttleUploads(bob, 16 * 1024 * 1024);
    await bob
      .getByLabel('Upload files')
      .setInputFiles({ name: 'big-from-bob.bin', mimeType: 'application/octet-stream', buffer: big });
    const job = bob.getByRole('listitem', { name: 'Upload of big-from-bob.bin' });
    await job.getByRole('button', { name: 'Pause big-from-bob.bin' }).click();
    // Once the worker has stopped its in-flight requests: more than a second on a busy machine.
    await expect.poll(() => job.textContent(), { timeout: 30_000 }).toContain('Paused');
    await job.getByRole('button', { name: 'Resume big-from-bob.bin' }).click();
    await expect.poll(() => job.textContent(), { timeout: 120_000 }).toContain('Done');
    await row(bob, 'big-from-bob.bin').waitFor({ timeout: 60_000 });
    // A file dropped from disk keeps its handle: a reload midway, then Resume from the uploads
    // panel finds the shared folder again and continues, with no picking again.
    const dir = mkdtempSync(join(tmpdir(), 'hoard-shared-drop-'));
    const handled = Buffer.alloc(48 * 1024 * 1024);
    for (let i = 0; i < 48; i++) handled.set(testBytes(1024 * 1024, 300 + i), i * 1024 * 1024);
    writeFileSync(join(dir, 'handled.bin'), handled);
    await throttleUploads(bob, 8 * 1024 * 1024);
    await dropFromDisk(bob, bob.getByRole('grid'), [join(dir, 'handled.bin')]);
    expect(await partlyUploaded(bob, 'handled.bin')).toBeLessThan(1);
    await bob.reload();
    const unfinished = bob.getByRole('listitem', { name: 'Unfinished upload of handled.bin' });
    expect(await unfinished.textContent()).toContain('in Project (shared with you)');
    await unfinished.getByRole('button', { name: 'Resume handled.bin' }).click();
    const resumed = bob.getByRole('listitem', { name: 'Upload of handled.bin' });
    await expect.poll(() => resumed.textContent(), { timeout: 60_000 }).toMatch(/resumed \([1-9]\d* of/);
    await expect.poll(() => resumed.textContent(), { timeout: 120_000 }).toContain('Done');
    rmSync(dir, { recursive: true, force: true });
    await bob.getByRole('list', { name: 'Shared folders' }).getByRole('button', { name: 'Project' }).click();
    const tools = bob.getByRole('toolbar', { name: 'Files' });
    await tools.getByRole('button', { name: 'New folder' }).click();
    await bob.getByLabel('Folder name').fill('notes');
    await bob.getByRole('button', { name: 'Create folder' }).click();
    await row(bob, 'notes').click();
    await tools.getByRole('button', { name: 'Rename' }).click();
    await bob.getByLabel('New name').fill('bob notes');
    await bob.getByRole('button', { name: 'Rename', exact: true }).last().click();
    await row(bob, 'bob notes').click();
    await tools.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => row(bob, 'bob notes').count()).toBe(0);
    await ada.goto(`${h.url}/files/Project`);
    await row(ada, 'from-bob.bin').waitFor();
    expect((await downloadRow(ada, 'from-bob.bin')).equals(fromBob)).toBe(true);
    expect((await downloadRow(ada, 'dropped-by-bob.bin')).equals(dropped)).toBe(true);
    expect(sha256(await downloadRow(ada, 'big-from-bob.bin'))).toBe(sha256(big));
    expect(sha256(await downloadRow(ada, 'handled.bin'))).toBe(sha256(handled));

    // Both screens fit a phone, with readable contrast.
    await bob.setViewportSize({ width: 390, height: 844 });
    await bob.goto(`${h.url}/shared`);
    await bob
      .getByRole('list', { name: 'Shared folders' })
      .getByRole('button', { name: 'Project' })
      .waitFor();
    await expectReadable(bob);
    await ada.setViewportSize({ width: 390, height: 844 });
    await ada.goto(`${h.url}/files`);
    await ada.getByRole('row', { name: 'Project', exact: true }).click();
    await ada.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Share' }).click();
    await ada
      .getByRole('dialog', { name: 'Share Project' })
      .getByRole('listitem', { name: bobEmail })
      .waitFor();
    await expectReadable(ada);
  }, 240_000);

  it('plays a video seeked near its end and previews a PDF from a folder shared with you', async () => {
    const h = harness();
    const { ada, bob, bobContext, adaEmail, bobEmail } = await adaAndBob(h);
    const videoPath = makeTestVideo(60, '3M');
    try {
      const video = readFileSync(videoPath);
      const pdf = makeTestPdf('Shared with bob', 'Hoard shared letter');
      await newFolderAndOpen(ada, 'Media');
      await ada.getByLabel('Upload files').setInputFiles([
        { name: 'clip.mp4', mimeType: 'video/mp4', buffer: video },
        { name: 'letter.pdf', mimeType: 'application/pdf', buffer: pdf },
      ]);
      await row(ada, 'clip.mp4').waitFor({ timeout: 120_000 });
      await row(ada, 'letter.pdf').waitFor({ timeout: 120_000 });
      await ada.goto(`${h.url}/files`);
      await shareWith(ada, 'Media', bobEmail, false);
      await acceptAndOpen(bob, h.url, adaEmail, 'Media');

      // The video plays from near its end: bob's service worker fetched the share's ciphertext
      // by ranges, and only the chunks near the start (the index) and the end.
      const requests: { url: string; range: string | undefined }[] = [];
      bobContext.on('request', (r) => requests.push({ url: r.url(), range: r.headers().range }));
      await row(bob, 'clip.mp4').dblclick();
      await playNearEnd(bob, 4, () => undefined);
      const shareRanges = contentRanges(requests.filter((r) => /\/shares\/[^/]+\/versions\//.test(r.url)));
      expect(shareRanges.length).toBeGreaterThan(0);
      const cipherSize = video.length + 56 + Math.ceil(video.length / 16384) * 16;
      expect(shareRanges.some((r) => r.start > cipherSize * 0.85)).toBe(true);
      expect(shareRanges.some((r) => r.start < cipherSize * 0.6 && r.end > cipherSize * 0.4)).toBe(false);
      await bob.keyboard.press('Escape');

      // The PDF opens in chromium's viewer from bob's service worker, byte for byte ada's file.
      await row(bob, 'letter.pdf').dblclick();
      const { src } = await expectPdfViewer(bob, 'letter.pdf', 'Hoard shared letter');
      const served = await bob.evaluate(async (url) => {
        const response = await fetch(url);
        return Array.from(new Uint8Array(await response.arrayBuffer()));
      }, src);
      expect(Buffer.from(served).equals(pdf)).toBe(true);
      await bob.keyboard.press('Escape');
    } finally {
      rmSync(join(videoPath, '..'), { recursive: true, force: true });
    }
  }, 300_000);
}
