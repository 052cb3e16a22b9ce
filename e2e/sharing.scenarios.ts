// Sharing from the browser: the share dialog makes a link; a visitor with no account opens it in a
// fresh browser context and gets the same bytes (a file, a password link, a folder with a ZIP of
// everything); a revoked or used-up link says so plainly.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { signUp, testBytes, type Harness } from './harness.js';
import { sha256, zipListing } from './organise.scenarios.js';

async function createLink(page: Page, name: string, options: { password?: string; limit?: number } = {}) {
  await page.getByRole('row', { name, exact: true }).click();
  await page.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog', { name: `Share ${name}` });
  if (options.password) await dialog.getByLabel('Password (optional)').fill(options.password);
  if (options.limit) await dialog.getByLabel('Download limit').fill(String(options.limit));
  // A password's Argon2id runs in a worker of its own (the page stays responsive).
  const derivation = options.password
    ? page.waitForEvent('worker', (w) => w.url().includes('link-password-worker'))
    : undefined;
  await dialog.getByRole('button', { name: 'Create link' }).click();
  await derivation;
  const field = dialog.getByLabel('Link', { exact: true });
  await field.waitFor();
  expect(await field.getAttribute('readonly')).not.toBeNull();
  const url = await field.inputValue();
  expect(url).toMatch(/\/l\/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}$/);
  return url;
}

async function downloadFrom(page: Page, button: ReturnType<Page['getByRole']>) {
  const downloading = page.waitForEvent('download');
  await button.click();
  const download = await downloading;
  expect(await download.failure()).toBeNull();
  return { bytes: readFileSync(await download.path()), name: download.suggestedFilename() };
}

export function sharingScenarios(harness: () => Harness) {
  it('a link opened in a fresh context without an account downloads the same bytes; revoked, it says so', async () => {
    const h = harness();
    const owner = await (await h.context()).newPage();
    await signUp(owner, h.url);
    const bytes = Buffer.from(testBytes(3 * 1024 * 1024 + 5, 21));
    await owner
      .getByLabel('Upload files')
      .setInputFiles({ name: 'shared.bin', mimeType: 'application/octet-stream', buffer: bytes });
    await owner.getByRole('row', { name: 'shared.bin', exact: true }).waitFor({ timeout: 60_000 });
    const url = await createLink(owner, 'shared.bin');

    const visitor = await (await h.context({ alongside: true })).newPage();
    await visitor.goto(url);
    await visitor.getByRole('heading', { name: 'shared.bin' }).waitFor();
    await visitor.getByText('3.1 MB').waitFor(); // 3 MiB + 5 bytes, in SI units
    const got = await downloadFrom(visitor, visitor.getByRole('button', { name: 'Download' }));
    expect(got.name).toBe('shared.bin');
    expect(got.bytes.equals(bytes)).toBe(true);

    // The owner sees the download counted, and revokes the link.
    const dialog = owner.getByRole('dialog', { name: 'Share shared.bin' });
    await owner.keyboard.press('Escape');
    await owner.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Share' }).click();
    await expect.poll(() => dialog.getByRole('listitem').first().textContent()).toContain('1 downloads');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => dialog.getByRole('listitem').first().textContent()).toContain('revoked');

    await visitor.reload();
    await expect.poll(() => visitor.getByRole('alert').textContent()).toContain('revoked');
  }, 180_000);

  it('a password link asks for its password, refuses a wrong one, and a used-up link says so', async () => {
    const h = harness();
    const owner = await (await h.context()).newPage();
    await signUp(owner, h.url);
    const bytes = Buffer.from('the secret plan\n');
    await owner
      .getByLabel('Upload files')
      .setInputFiles({ name: 'plan.txt', mimeType: 'text/plain', buffer: bytes });
    await owner.getByRole('row', { name: 'plan.txt', exact: true }).waitFor({ timeout: 60_000 });
    const url = await createLink(owner, 'plan.txt', { password: 'open sesame', limit: 1 });

    const visitor = await (await h.context({ alongside: true })).newPage();
    await visitor.goto(url);
    await visitor.getByRole('heading', { name: 'This link is protected by a password' }).waitFor();
    await visitor.getByLabel('Password').fill('not it');
    await visitor.getByRole('button', { name: 'Open' }).click();
    await expect
      .poll(() => visitor.getByRole('alert').textContent(), { timeout: 30_000 })
      .toContain('Wrong password');
    await visitor.getByLabel('Password').fill('open sesame');
    // The Argon2id runs in a worker of its own; while it computes, the page thread still paints
    // (a requestAnimationFrame callback runs and sees the page still opening the link).
    const derivation = visitor.waitForEvent('worker', (w) => w.url().includes('link-password-worker'));
    await visitor.getByRole('button', { name: 'Open' }).click();
    const worker = await derivation;
    const ended = new Promise<void>((resolve) => worker.on('close', () => resolve()));
    const painted = await visitor.evaluate(
      () =>
        new Promise<string | null | undefined>((resolve) =>
          requestAnimationFrame(() => resolve(document.querySelector('[role="status"]')?.textContent)),
        ),
    );
    expect(painted).toBe('Opening the link…');
    await visitor.getByRole('heading', { name: 'plan.txt' }).waitFor({ timeout: 30_000 });
    await ended; // the worker is ended once it has answered
    const got = await downloadFrom(visitor, visitor.getByRole('button', { name: 'Download' }));
    expect(got.bytes.equals(bytes)).toBe(true);

    // Its one download is used: opening it again says so.
    const later = await (await h.context({ alongside: true })).newPage();
    await later.goto(url);
    const message = async () => {
      if (await later.getByLabel('Password').count()) {
        await later.getByLabel('Password').fill('open sesame');
        await later.getByRole('button', { name: 'Open' }).click();
      }
      return later
        .getByRole('alert')
        .textContent({ timeout: 5000 })
        .catch(() => '');
    };
    await expect.poll(message, { timeout: 60_000 }).toContain('download limit');
  }, 180_000);

  it('a folder link browses, downloads one file, and downloads everything as one ZIP', async () => {
    const h = harness();
    const dir = mkdtempSync(join(tmpdir(), 'hoard-share-'));
    try {
      const album = join(dir, 'album');
      mkdirSync(join(album, 'inner'), { recursive: true });
      const a = Buffer.from('a file at the top\n');
      const b = Buffer.from(testBytes(1024 * 1024 + 3, 8));
      writeFileSync(join(album, 'a.txt'), a);
      writeFileSync(join(album, 'inner', 'b.bin'), b);
      const owner = await (await h.context()).newPage();
      await signUp(owner, h.url);
      await owner.getByLabel('Upload folder').setInputFiles(album);
      await expect
        .poll(() => owner.getByRole('listitem', { name: 'Upload of b.bin' }).textContent(), {
          timeout: 60_000,
        })
        .toContain('Done');
      await expect
        .poll(() => owner.getByRole('listitem', { name: 'Upload of a.txt' }).textContent(), {
          timeout: 60_000,
        })
        .toContain('Done');
      const url = await createLink(owner, 'album');

      const visitor = await (await h.context({ alongside: true })).newPage();
      await visitor.goto(url);
      await visitor.getByRole('heading', { name: 'album' }).waitFor();
      await visitor.getByRole('row', { name: 'a.txt' }).waitFor();
      await visitor.getByRole('button', { name: 'inner', exact: true }).click();
      await visitor.getByRole('row', { name: 'b.bin' }).waitFor();
      const one = await downloadFrom(visitor, visitor.getByRole('button', { name: 'Download b.bin' }));
      expect(one.bytes.equals(b)).toBe(true);

      await visitor.getByRole('button', { name: 'album', exact: true }).click();
      await visitor.getByRole('row', { name: 'a.txt' }).waitFor();
      const all = await downloadFrom(visitor, visitor.getByRole('button', { name: 'Download all' }));
      expect(all.name).toBe('album.zip');
      const dest = join(dir, 'all.zip');
      writeFileSync(dest, all.bytes);
      expect(zipListing(dest)).toEqual({
        'album/': sha256(new Uint8Array(0)),
        'album/a.txt': sha256(a),
        'album/inner/': sha256(new Uint8Array(0)),
        'album/inner/b.bin': sha256(b),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
}
