// The web app in a real chromium against a real server: sign-up, uploads by file input and by
// drag and drop, downloads through the service worker, errors shown as messages; then the
// scenarios of the other files (one file, so one build, one server and one browser serve all).
import { HoardClient } from '@hoard/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInChromium, downloadRow, signUp, startHarness, testBytes, type Harness } from './harness.js';
import { mediaScenarios } from './media.scenarios.js';
import { lookScenarios } from './look.scenarios.js';
import { organiseScenarios } from './organise.scenarios.js';
import { sharesScenarios } from './shares.scenarios.js';
import { sharingScenarios } from './sharing.scenarios.js';
import { uploadScenarios } from './uploads.scenarios.js';

describeInChromium(
  'web app in chromium',
  () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness();
    }, 120_000);
    afterAll(async () => {
      await h?.close();
    });

    it('signs up, uploads by file input and by drag and drop, and downloads the same bytes', async () => {
      const context = await h.context();
      const page = await context.newPage();
      await signUp(page, h.url);

      const picked = Buffer.from(testBytes(3 * 1024 * 1024 + 123, 7));
      await page
        .getByLabel('Upload files')
        .setInputFiles({ name: 'picked.bin', mimeType: 'application/octet-stream', buffer: picked });
      await page.getByRole('row', { name: 'picked.bin', exact: true }).waitFor({ timeout: 60_000 });

      // A drop of a file made in the page (the same generator, run there).
      const dropped = Buffer.from(testBytes(200_000, 11));
      const dataTransfer = await page.evaluateHandle((b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'dropped.bin', { type: 'application/octet-stream' }));
        return transfer;
      }, dropped.toString('base64'));
      await page.dispatchEvent('.manager', 'dragover', { dataTransfer });
      await page.dispatchEvent('.manager', 'drop', { dataTransfer });
      await page.getByRole('row', { name: 'dropped.bin', exact: true }).waitFor({ timeout: 60_000 });

      expect((await downloadRow(page, 'picked.bin')).equals(picked)).toBe(true);
      expect((await downloadRow(page, 'dropped.bin')).equals(dropped)).toBe(true);
    }, 180_000);

    it('shows authorization errors as messages, never a blank page', async () => {
      const context = await h.context();
      const page = await context.newPage();
      const email = await signUp(page, h.url);

      // A folder that does not exist.
      await page.goto(`${h.url}/files/nowhere`);
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('There is no folder');

      // The session is revoked from another device: the next action says so.
      await page.goto(`${h.url}/files`);
      await page.getByRole('button', { name: 'New folder' }).waitFor();
      const other = await new HoardClient({ serverUrl: h.url }).login(email, 'correct horse battery');
      for (const s of await other.sessions()) if (!s.current) await other.revokeSession(s.id);
      await page.getByRole('button', { name: 'New folder' }).click();
      await page.getByLabel('Folder name').fill('after revoke');
      await page.getByRole('button', { name: 'Create folder' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Your session has ended');

      // Reloading with the revoked session lands on the login page with a notice.
      await page.reload();
      await page.getByText('Your session has ended. Log in again.').waitFor();
      await page.getByRole('button', { name: 'Log in' }).waitFor();

      // A wrong password is a message too; the right one opens the files again.
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong email or password');
      await page.getByLabel('Password').fill('correct horse battery');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByText('My files').waitFor();
    }, 120_000);

    organiseScenarios(() => h);
    mediaScenarios(() => h);
    sharingScenarios(() => h);
    sharesScenarios(() => h);
    lookScenarios(() => h);
    uploadScenarios(() => h);
  },
  true,
);
