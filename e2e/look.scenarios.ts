// How the app looks and reads: a phone's width and a desktop, light and dark, with readable
// contrast (WCAG AA, 4.5:1 for text), visible keyboard focus and no sideways scrolling. It takes
// screenshots of the main screens on the way: into a temporary folder, or into docs/screenshots
// with HOARD_SCREENSHOTS=docs/screenshots.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { repoRoot, testBytes, type Harness } from './harness.js';

/** Contrast ratios of the page's text against what is behind it, for the elements matched. */
function contrastOf(page: Page, selector: string): Promise<{ text: string; ratio: number }[]> {
  return page.evaluate((sel) => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const background = (el: Element | null): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3]! > 0.5)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    return Array.from(document.querySelectorAll(sel))
      .filter((el) => (el as HTMLElement).offsetParent !== null && el.textContent?.trim())
      .slice(0, 20)
      .map((el) => {
        const fg = lum(rgb(getComputedStyle(el).color));
        const bg = lum(background(el));
        return {
          text: el.textContent.trim().slice(0, 30),
          ratio: (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05),
        };
      });
  }, selector);
}

export async function expectReadable(page: Page) {
  const selectors = [
    'h1',
    'label',
    'button:not(:disabled)',
    'a',
    '.hint',
    '.status',
    '[role="gridcell"]',
    '[role="alert"]',
  ];
  for (const selector of selectors) {
    for (const { text, ratio } of await contrastOf(page, selector)) {
      expect(ratio, `${selector} "${text}"`).toBeGreaterThanOrEqual(4.5);
    }
  }
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
}

export function lookScenarios(harness: () => Harness) {
  it('fits a phone and a desktop, light and dark, with readable contrast and visible focus', async () => {
    const h = harness();
    const out = process.env.HOARD_SCREENSHOTS
      ? resolve(repoRoot, process.env.HOARD_SCREENSHOTS)
      : mkdtempSync(join(tmpdir(), 'hoard-shots-'));
    const shots: string[] = [];
    const shoot = async (page: Page, name: string) => {
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(out, `${name}.png`) });
      shots.push(name);
    };
    for (const [scheme, viewport, tag] of [
      ['light', { width: 1280, height: 800 }, 'desktop-light'],
      ['dark', { width: 1280, height: 800 }, 'desktop-dark'],
      ['light', { width: 390, height: 844 }, 'phone-light'],
      ['dark', { width: 390, height: 844 }, 'phone-dark'],
    ] as const) {
      const page = await (await h.context({ colorScheme: scheme, viewport })).newPage();
      await page.goto(`${h.url}/signup`);
      await page.getByLabel('Email').fill(`look-${tag}@example.com`);
      await page.getByLabel('Password').fill('correct horse battery');
      await expectReadable(page);
      if (tag === 'desktop-light') await shoot(page, 'signup');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('list', { name: 'Recovery words' }).waitFor();
      await expectReadable(page);
      if (tag === 'desktop-light') await shoot(page, 'recovery-words');
      await page.getByLabel('I have saved my recovery words').check();
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('button', { name: 'New folder' }).waitFor();

      await page.getByRole('button', { name: 'New folder' }).click();
      await page.getByLabel('Folder name').fill('Holidays');
      await page.getByRole('button', { name: 'Create folder' }).click();
      const picture = Buffer.from(
        await page.evaluate(async () => {
          const canvas = new OffscreenCanvas(320, 200);
          const g = canvas.getContext('2d')!;
          const gradient = g.createLinearGradient(0, 0, 320, 200);
          gradient.addColorStop(0, '#f6a04d');
          gradient.addColorStop(1, '#3d6bd8');
          g.fillStyle = gradient;
          g.fillRect(0, 0, 320, 200);
          return Array.from(
            new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer()),
          );
        }),
      );
      await page.getByLabel('Upload files').setInputFiles([
        { name: 'sunset.png', mimeType: 'image/png', buffer: picture },
        { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Packing list\n') },
        {
          name: 'backup.bin',
          mimeType: 'application/octet-stream',
          buffer: Buffer.from(testBytes(3_500_000)),
        },
      ]);
      await page.getByRole('row', { name: 'backup.bin', exact: true }).waitFor({ timeout: 60_000 });
      await page.getByRole('row', { name: 'sunset.png', exact: true }).waitFor({ timeout: 60_000 });
      await page.getByRole('row', { name: 'notes.txt', exact: true }).click();
      await expectReadable(page);

      // The keyboard reaches the rows, and the focused one shows it.
      await page.getByRole('row', { name: 'notes.txt', exact: true }).focus();
      await page.keyboard.press('ArrowUp');
      const focused = await page.evaluate(() => {
        const el = document.activeElement!;
        const style = getComputedStyle(el);
        return {
          name: el.getAttribute('aria-label'),
          outline: style.outlineStyle,
          width: style.outlineWidth,
        };
      });
      expect(focused.name).not.toBe('notes.txt');
      expect(focused.outline).not.toBe('none');
      await shoot(page, `files-${tag}`);

      if (tag === 'desktop-light') {
        await page.getByRole('row', { name: 'sunset.png', exact: true }).click();
        await page.getByRole('toolbar', { name: 'Files' }).getByRole('button', { name: 'Share' }).click();
        await page.getByRole('button', { name: 'Create link' }).click();
        const url = await page.getByLabel('Link', { exact: true }).inputValue();
        await expectReadable(page);
        await shoot(page, 'share-dialog');
        const visitor = await (await h.context({ alongside: true })).newPage();
        await visitor.goto(url);
        await visitor.getByRole('button', { name: 'Download' }).waitFor();
        await expectReadable(visitor);
        await shoot(visitor, 'link-page');
      }
    }
    expect(shots).toContain('files-phone-dark');
  }, 300_000);
}
