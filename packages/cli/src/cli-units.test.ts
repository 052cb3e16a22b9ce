import { appendFileSync, existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ApiError, type RemoteEntry } from '@hoard/client';
import { randomBytes, webCryptoAead } from '@hoard/crypto';
import { describe, expect, it } from 'vitest';
import { describeError } from './cli.js';
import { formatBytes, formatDuration, formatTable } from './format.js';
import { HoardHome } from './hoard-home.js';
import { nodeAead } from './node-aead.js';
import { ProgressBar } from './progress-bar.js';

describe('nodeAead', () => {
  it('produces exactly what the WebCrypto backend produces, and each opens the other', async () => {
    const raw = randomBytes(32);
    const [fast, reference] = await Promise.all([nodeAead.importKey(raw), webCryptoAead.importKey(raw)]);
    for (const size of [0, 1, 16383, 16384]) {
      const nonce = randomBytes(12);
      const aad = size % 2 ? randomBytes(7) : undefined;
      const plaintext = randomBytes(size);
      const sealed = await fast.encrypt(nonce, plaintext, aad);
      expect(Buffer.from(sealed).equals(Buffer.from(await reference.encrypt(nonce, plaintext, aad)))).toBe(
        true,
      );
      expect(Buffer.from(await reference.decrypt(nonce, sealed, aad)).equals(Buffer.from(plaintext))).toBe(
        true,
      );
      expect(Buffer.from(await fast.decrypt(nonce, sealed, aad)).equals(Buffer.from(plaintext))).toBe(true);
    }
  });

  it('rejects a flipped bit, a wrong AAD and a short input', async () => {
    const key = await nodeAead.importKey(randomBytes(32));
    const nonce = randomBytes(12);
    const sealed = await key.encrypt(nonce, randomBytes(100), Uint8Array.of(1));
    const flipped = sealed.slice();
    flipped[5] = flipped[5]! ^ 1;
    await expect(key.decrypt(nonce, flipped, Uint8Array.of(1))).rejects.toThrow();
    await expect(key.decrypt(nonce, sealed, Uint8Array.of(2))).rejects.toThrow();
    await expect(key.decrypt(nonce, sealed.subarray(0, 10))).rejects.toThrow();
    await expect(nodeAead.importKey(randomBytes(16))).rejects.toThrow();
  });
});

describe('formatting', () => {
  it('prints sizes, durations and aligned tables', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(17 * 1024 * 1024)).toBe('17.0 MiB');
    expect(formatDuration(75)).toBe('1m15s');
    expect(formatDuration(Infinity)).toBe('--');
    expect(
      formatTable([
        ['a', 'bb', 'x'],
        ['ccc', 'd', 'y'],
      ]),
    ).toBe('a    bb  x\nccc  d   y');
  });

  it('draws a progress bar with bytes, percent, speed and ETA, and clears it', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    let now = 0;
    const bar = new ProgressBar(Object.assign(out, { columns: 120 }), 'big.bin', () => now);
    bar.update(0, 10 * 1024 * 1024);
    now = 1000;
    bar.update(5 * 1024 * 1024, 10 * 1024 * 1024);
    expect(text).toMatch(/big\.bin.* 50% 5\.00 MiB\/10\.0 MiB 5\.00 MiB\/s ETA 1s/);
    bar.finish();
    expect(text.endsWith('\r\x1b[2K')).toBe(true);
  });
});

describe('describeError', () => {
  it('gives one line for server codes, with plain words for the common ones', () => {
    expect(describeError(new ApiError('LOGIN_FAILED', 401, 'x'))).toBe('wrong email or password');
    expect(describeError(new ApiError('RATE_LIMITED', 429, 'x', 30))).toMatch(/30 seconds/);
    expect(describeError(new ApiError('NAME_TAKEN', 409, 'taken\nreally'))).toBe('taken really (NAME_TAKEN)');
    expect(describeError(new Error(''))).toBe('unknown error');
  });
});

describe('HoardHome', () => {
  it('keeps the session and resume records in 0600 files in a 0700 directory', async () => {
    const home = new HoardHome(join(mkdtempSync(join(tmpdir(), 'hoard-home-')), 'state'));
    await home.saveSession({
      formatVersion: 1,
      serverUrl: 'http://x',
      email: 'a@b.co',
      userId: 'u',
      sessionId: 's',
      token: 't',
      expiresAt: new Date().toISOString(),
      wrappedMasterKey: 'w',
    });
    expect(statSync(home.sessionPath).mode & 0o777).toBe(0o600);
    expect(statSync(home.dir).mode & 0o777).toBe(0o700);
    expect((await home.loadSession())?.token).toBe('t');
    const store = home.resumeStore('http://x', 'u');
    const record = {
      formatVersion: 1 as const,
      uploadId: 'up',
      versionId: 'v',
      nodeId: 'n',
      saltB64u: 's',
      wrappedVersionKeyB64u: 'w',
      plainSizeBytes: 1,
      cipherSizeBytes: 73,
      sourceMtimeMs: null,
      partSizeBytes: 8,
      partCount: 1,
      partPlainSha256Hex: { '1': 'ab' },
    };
    await store.set('/local/file\nparent\nname', record);
    expect(await store.get('/local/file\nparent\nname')).toEqual(record);
    expect(await store.get('another key')).toBeUndefined();
    expect(await store.count()).toBe(1);
    await store.delete('/local/file\nparent\nname');
    expect(await store.count()).toBe(0);
    await home.deleteSession();
    expect(await home.loadSession()).toBeUndefined();
  });

  it("keeps a put's finished files until the command succeeds, and counts a file done only as it was", async () => {
    const home = new HoardHome(join(mkdtempSync(join(tmpdir(), 'hoard-home-')), 'state'));
    const command = JSON.stringify(['folder-id', '/local/photos']);
    const local = { sizeBytes: 10, mtimeMs: 1_700_000_000_123 };
    const remote = (versionId: string | null, type: 'file' | 'folder' = 'file') =>
      ({ type, node: { currentVersion: versionId === null ? null : { id: versionId } } }) as RemoteEntry;

    const first = await home.putJournal('http://x', 'u', command);
    expect(first.earlierFiles).toBe(0);
    await first.record('a', local, 'v-a');
    await first.record('b', local, 'v-b');
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    await first.close(); // interrupted: kept
    // A crash mid-append leaves a torn last line: it is ignored.
    appendFileSync(first.path, '{"key":"c","sizeBy');

    const again = await home.putJournal('http://x', 'u', command);
    expect(again.earlierFiles).toBe(2);
    expect(again.recorded('a')).toBe(true);
    expect(again.recorded('c')).toBe(false);
    expect(again.isDone('a', local, remote('v-a'))).toBe(true);
    // Changed locally, replaced remotely (another version, a folder, gone): uploaded again.
    expect(again.isDone('a', { ...local, sizeBytes: 11 }, remote('v-a'))).toBe(false);
    expect(again.isDone('a', { ...local, mtimeMs: local.mtimeMs + 1 }, remote('v-a'))).toBe(false);
    expect(again.isDone('a', local, remote('v-other'))).toBe(false);
    expect(again.isDone('a', local, remote(null, 'folder'))).toBe(false);
    expect(again.isDone('a', local, undefined)).toBe(false);
    // Another command (other paths or another remote folder) has a journal of its own.
    expect(
      (await home.putJournal('http://x', 'u', JSON.stringify(['folder-id', '/other']))).earlierFiles,
    ).toBe(0);
    expect((await home.putJournal('http://x', 'other-user', command)).earlierFiles).toBe(0);

    await again.finish(); // succeeded: nothing left to resume
    expect(existsSync(again.path)).toBe(false);
    expect((await home.putJournal('http://x', 'u', command)).earlierFiles).toBe(0);
    // Deleting the account's local state takes the journals with it.
    const last = await home.putJournal('http://x', 'u', command);
    await last.record('a', local, 'v-a');
    await last.close();
    await home.deleteResumeRecords('http://x', 'u');
    expect(existsSync(last.path)).toBe(false);
  });
});

describe('argument parsing', () => {
  it('takes a session id that begins with "-" as the ID to revoke, not as an unknown option', async () => {
    const home = mkdtempSync(join(tmpdir(), 'hoard-cli-args-'));
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const { runCli } = await import('./cli.js');
    const code = await runCli(['sessions', 'revoke', '-Ab_cdEFghIJklMNopQRstUV'], {
      env: { HOARD_HOME: home, HOARD_SERVER: 'http://127.0.0.1:9' },
      stdin: PassThrough.from([]),
      stdout,
      stderr,
      cwd: home,
    });
    expect(err).not.toMatch(/unknown option/);
    expect(err).toMatch(/^hoard: .*log/); // it got as far as needing a session
    expect(code).toBe(1);
  });
});
