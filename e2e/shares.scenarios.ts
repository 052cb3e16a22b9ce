// Sharing between accounts in two browser contexts: ada shares a folder with bob read-only (bob's
// safety number shown and pinned); bob accepts, downloads the same bytes (20 MiB, decrypted to disk
// by his service worker) and has no way to write; ada removes bob and bob's view says the share is
// gone; shared again with "Can edit", bob uploads a file that ada then finds in her folder.
import { readFileSync } from 'node:fs';
import type { Page, Request } from 'playwright-core';
import { expect, it } from 'vitest';
import { downloadRow, signUp, testBytes, type Harness } from './harness.js';
import { expectReadable } from './look.scenarios.js';

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

async function acceptAndOpen(page: Page, url: string, from: string, folder: string) {
  await page.goto(`${url}/shared`);
  const invitation = page.getByRole('listitem', { name: `Invitation from ${from}` });
  await invitation.getByRole('button', { name: 'Accept' }).click();
  await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Accepted');
  await page.getByRole('list', { name: 'Shared folders' }).getByRole('button', { name: folder }).click();
}

export function sharesScenarios(harness: () => Harness) {
  it('shares a folder with another account read-only, removes it, then shares it writable', async () => {
    const h = harness();
    const ada = await (await h.context()).newPage();
    const bobContext = await h.context({ alongside: true });
    const bob = await bobContext.newPage();
    const adaEmail = await signUp(ada, h.url);
    const bobEmail = await signUp(bob, h.url);
    const row = (page: Page, name: string) => page.getByRole('row', { name, exact: true });

    // ada: a folder with a file in it.
    await ada.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'New folder' }).click();
    await ada.getByLabel('Folder name').fill('Project');
    await ada.getByRole('button', { name: 'Create folder' }).click();
    await ada.getByRole('button', { name: 'Project', exact: true }).click();
    // Big enough that holding it in the page would show: it streams through the service worker.
    const bytes = Buffer.from(testBytes(20 * 1024 * 1024 + 17, 31));
    await ada
      .getByLabel('Upload files')
      .setInputFiles({ name: 'report.bin', mimeType: 'application/octet-stream', buffer: bytes });
    await row(ada, 'report.bin').waitFor({ timeout: 120_000 });
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
    const fromBob = Buffer.from(testBytes(300_000, 32));
    await bob
      .getByLabel('Upload files')
      .setInputFiles({ name: 'from-bob.bin', mimeType: 'application/octet-stream', buffer: fromBob });
    await row(bob, 'from-bob.bin').waitFor({ timeout: 60_000 });
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
}
