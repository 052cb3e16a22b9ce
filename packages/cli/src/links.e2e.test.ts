// End to end, links: the real hoard-server (child process) and the hoard CLI. An owner links a file
// and a folder; someone with no account (another HOARD_HOME, no session) gets them back byte for
// byte; the cap, the password, expiry, revoke, a mangled fragment, a report and the operator's
// disable each answer as they should; an interrupted link download resumes without counting twice;
// plain HTTP (what curl does) gets exactly the ciphertext.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ciphertextSize } from '@hoard/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, serverMain, type SpawnedServer, spawnServer } from '@hoard/server/testing';
import { killGetMidway, repoRoot, runHoard } from './testing/harness.js';

const MiB = 1024 * 1024;
const MARKER = 'HOARD-LINK-PLAINTEXT-MARKER-51c';
const dialects = process.env.DATABASE_URL ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

interface LinkJson {
  id: string;
  url: string | null;
  path: string | null;
  status: string;
  downloadCount: number;
  maxDownloads: number | null;
  expiresAt: string | null;
  passwordRequired: boolean;
}

function oneLineError(result: { code: number; stderr: string }, pattern?: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(/^hoard: [^\n]+\n$/);
  if (pattern) expect(result.stderr).toMatch(pattern);
}

describe.each(dialects)('links through the hoard CLI against a real server (%s)', (dialect) => {
  let work: string;
  let server: SpawnedServer;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let ownerEnv: Record<string, string>;
  let anonEnv: Record<string, string>;
  const owner = (args: string[], env: Record<string, string> = {}) =>
    runHoard(args, { ...ownerEnv, ...env }, { cwd: work });
  const anon = (args: string[], env: Record<string, string> = {}) =>
    runHoard(args, { ...anonEnv, ...env }, { cwd: work });
  const linksJson = async (): Promise<LinkJson[]> =>
    JSON.parse((await owner(['links', '--json'])).stdout) as LinkJson[];
  const linkOf = async (url: string): Promise<LinkJson> => (await linksJson()).find((l) => l.url === url)!;

  beforeAll(async () => {
    execFileSync(
      process.execPath,
      [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/cli', 'packages/server'],
      { cwd: repoRoot, stdio: 'inherit' },
    );
    work = mkdtempSync(join(tmpdir(), 'hoard-links-e2e-'));
    if (dialect === 'postgres') database = await createPostgresDatabase(process.env.DATABASE_URL!);
    server = await spawnServer({ dataDir: join(work, 'server-data'), databaseUrl: database?.url ?? '' });
    ownerEnv = {
      HOARD_SERVER: server.url,
      HOARD_HOME: join(work, 'owner-home'),
      HOARD_PASSWORD: 'owner password 1',
      HOME: work,
    };
    // Someone else: no session, and a HOARD_SERVER that is not the link's (the URL says where to go).
    anonEnv = { HOARD_SERVER: 'http://127.0.0.1:9', HOARD_HOME: join(work, 'anon-home'), HOME: work };
    expect((await owner(['signup', 'owner@example.com'])).code).toBe(0);
    mkdirSync(join(work, 'album', 'nested'), { recursive: true });
    writeFileSync(join(work, 'report.bin'), randomBytes(3 * MiB + 777));
    writeFileSync(join(work, 'album', 'a.txt'), `${MARKER}\n`.repeat(300));
    writeFileSync(join(work, 'album', 'empty.txt'), '');
    writeFileSync(join(work, 'album', 'nested', 'b.bin'), randomBytes(100_000));
    expect((await owner(['put', 'report.bin', 'album', '/'])).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('links a file; anyone gets it back byte for byte without an account; the owner sees the count', async () => {
    const made = await owner(['link', '/report.bin']);
    expect(made.stderr).toBe('');
    const url = made.stdout.trim();
    expect(url).toMatch(new RegExp(`^${server.url}/l/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}$`));
    const got = await anon(['get', url, 'from-link.bin']);
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    expect(readFileSync(join(work, 'from-link.bin')).equals(readFileSync(join(work, 'report.bin')))).toBe(
      true,
    );
    expect(existsSync(join(work, 'anon-home', 'session.json'))).toBe(false);
    const stdout = await anon(['get', url, '-']);
    expect(stdout.stdoutBytes.equals(readFileSync(join(work, 'report.bin')))).toBe(true);
    expect(await linkOf(url)).toMatchObject({ path: '/report.bin', status: 'active', downloadCount: 2 });
    // The human listing shows it too.
    expect((await owner(['links'])).stdout).toContain(url);
  });

  it('serves plain HTTP the ciphertext (what curl gets), never the plaintext', async () => {
    const url = (await owner(['link', '/album'])).stdout.trim();
    const fileUrl = (await owner(['link', '/report.bin'])).stdout.trim();
    const linkId = /\/l\/([^#]+)#/.exec(fileUrl)![1]!;
    const grant = await fetch(`${server.url}/links/${linkId}/grants`, { method: 'POST' });
    expect(grant.status).toBe(201);
    const { grant: g } = (await grant.json()) as { grant: { id: string } };
    const body = Buffer.from(
      await (await fetch(`${server.url}/links/${linkId}/grants/${g.id}/content`)).arrayBuffer(),
    );
    expect(body.length).toBe(ciphertextSize(3 * MiB + 777));
    expect(
      body.subarray(56).equals(readFileSync(join(work, 'report.bin')).subarray(0, body.length - 56)),
    ).toBe(false);
    const folderId = /\/l\/([^#]+)#/.exec(url)![1]!;
    const pub = await fetch(`${server.url}/links/${folderId}/public`);
    expect(((await pub.json()) as { link: { type: string } }).link.type).toBe('folder');
  });

  it('gets a folder link recursively', async () => {
    const url = (await owner(['link', '/album'])).stdout.trim();
    const got = await anon(['get', url, 'album-copy']);
    expect(got.stderr).toBe('');
    for (const rel of ['a.txt', 'empty.txt', join('nested', 'b.bin')]) {
      expect(
        readFileSync(join(work, 'album-copy', rel)).equals(readFileSync(join(work, 'album', rel))),
        rel,
      ).toBe(true);
    }
    expect(readdirSync(join(work, 'album-copy')).filter((n) => n.includes('partial'))).toEqual([]);
    // One folder download is one download.
    expect((await linkOf(url)).downloadCount).toBe(1);
  });

  it('enforces --max-downloads', async () => {
    const url = (await owner(['link', '/report.bin', '--max-downloads', '1'])).stdout.trim();
    expect((await anon(['get', url, 'capped-1.bin'])).code).toBe(0);
    oneLineError(await anon(['get', url, 'capped-2.bin']), /download limit/);
    expect(existsSync(join(work, 'capped-2.bin'))).toBe(false);
    expect(await linkOf(url)).toMatchObject({ status: 'exhausted', downloadCount: 1, maxDownloads: 1 });
    oneLineError(await owner(['link', '/report.bin', '--max-downloads', '0']), /max-downloads/);
  });

  it('opens a password link only with the password (HOARD_LINK_PASSWORD), and says why otherwise', async () => {
    const made = await owner(['link', '/report.bin', '--password'], { HOARD_LINK_PASSWORD: 'open sesame' });
    const url = made.stdout.trim();
    expect((await linkOf(url)).passwordRequired).toBe(true);
    oneLineError(
      await anon(['get', url, 'pw.bin'], { HOARD_LINK_PASSWORD: 'open says me' }),
      /wrong password/,
    );
    oneLineError(await anon(['get', url, 'pw.bin']), /HOARD_LINK_PASSWORD/);
    const got = await anon(['get', url, 'pw.bin'], { HOARD_LINK_PASSWORD: 'open sesame' });
    expect(got.stderr).toBe('');
    expect(readFileSync(join(work, 'pw.bin')).equals(readFileSync(join(work, 'report.bin')))).toBe(true);
    // No terminal and no variable: the owner is told how to give the password.
    oneLineError(await owner(['link', '/report.bin', '--password']), /HOARD_LINK_PASSWORD/);
  });

  it('detects a fragment that does not match through the key commitment; refuses malformed links', async () => {
    const url = (await owner(['link', '/report.bin'])).stdout.trim();
    const key = url.split('#')[1]!;
    const mangled = `${url.split('#')[0]}#${key[0] === 'A' ? 'B' : 'A'}${key.slice(1)}`;
    oneLineError(await anon(['get', mangled, 'x.bin']), /does not match/);
    oneLineError(await anon(['get', url.split('#')[0]!, 'x.bin']), /key after #/);
    oneLineError(await anon(['get', `${server.url}/l/short#${key}`, 'x.bin']), /not a link/);
    oneLineError(await anon(['get', `${server.url}/l/${'A'.repeat(22)}#${key}`, 'x.bin']), /no such link/);
    expect(existsSync(join(work, 'x.bin'))).toBe(false);
    // The mangled attempts counted nothing.
    expect((await linkOf(url)).downloadCount).toBe(0);
  });

  it('sets an expiry from a duration or a date, and refuses a bad one', async () => {
    const url = (await owner(['link', '/report.bin', '--expires', '7d'])).stdout.trim();
    const expiresAt = Date.parse((await linkOf(url)).expiresAt!);
    expect(Math.abs(expiresAt - (Date.now() + 7 * 86_400_000))).toBeLessThan(60_000);
    const dated = (await owner(['link', '/report.bin', '--expires', '2099-01-01'])).stdout.trim();
    expect((await linkOf(dated)).expiresAt).toBe(new Date('2099-01-01').toISOString());
    const bad = await owner(['link', '/report.bin', '--expires', 'soonish']);
    expect(bad.code).toBe(2);
    expect((await owner(['link', '/report.bin', '--expires', '2001-01-01'])).code).toBe(2);
  });

  it('revokes by URL, by id and by path', async () => {
    const a = (await owner(['link', '/report.bin'])).stdout.trim();
    expect((await owner(['unlink', a])).stdout).toMatch(/revoked 1 link/);
    oneLineError(await anon(['get', a, 'revoked.bin']), /revoked/);
    const b = (await owner(['link', '/album/a.txt'])).stdout.trim();
    expect((await owner(['unlink', (await linkOf(b)).id])).code).toBe(0);
    const c = (await owner(['link', '/album/a.txt'])).stdout.trim();
    expect((await owner(['unlink', '/album/a.txt'])).code).toBe(0);
    expect((await linkOf(c)).status).toBe('revoked');
    oneLineError(await owner(['unlink', '/album/a.txt']), /no link/);
  });

  it('takes reports; the operator disables the link and it says so', async () => {
    const url = (await owner(['link', '/album/a.txt'])).stdout.trim();
    oneLineError(await anon(['report', url, '--reason', 'dunno']));
    const reported = await anon(['report', url, '--reason', 'malware', '--note', 'looks bad']);
    expect(reported.code).toBe(0);
    const admin = (args: string[]) =>
      execFileSync(process.execPath, [serverMain, 'admin', ...args, '--data', join(work, 'server-data')], {
        env: { ...process.env, DATABASE_URL: database?.url ?? '' },
        encoding: 'utf8',
      });
    const reports = JSON.parse(admin(['reports', '--json'])) as {
      linkId: string;
      reason: string;
      note: string;
    }[];
    const id = (await linkOf(url)).id;
    expect(reports.find((r) => r.linkId === id)).toMatchObject({ reason: 'malware', note: 'looks bad' });
    admin(['disable-link', id]);
    oneLineError(await anon(['get', url, 'disabled.txt']), /disabled/);
    expect((await linkOf(url)).status).toBe('disabled');
  });

  it('resumes an interrupted link download (kill -9) without counting a second download', async () => {
    writeFileSync(join(work, 'large.bin'), randomBytes(64 * MiB));
    expect((await owner(['put', 'large.bin', '/'])).code).toBe(0);
    const url = (await owner(['link', '/large.bin'])).stdout.trim();
    const dest = join(work, 'large-copy.bin');
    const partial = join(work, '.large-copy.bin.hoard-partial');
    const first = await killGetMidway(['get', url, dest], anonEnv, work, partial, 2 * MiB);
    expect(first.signal).toBe('SIGKILL');
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(partial)).toBe(true);
    const again = await anon(['get', url, dest]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/resuming/);
    expect(readFileSync(dest).equals(readFileSync(join(work, 'large.bin')))).toBe(true);
    expect(existsSync(partial)).toBe(false);
    expect((await linkOf(url)).downloadCount).toBe(1);
  });

  it('leaves no plaintext and no file name in the server data directory', () => {
    const files = (function walk(dir: string): string[] {
      return readdirSync(dir).flatMap((n) => {
        const p = join(dir, n);
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
    })(join(work, 'server-data'));
    for (const file of files) {
      const bytes = readFileSync(file);
      expect(bytes.includes(MARKER), file).toBe(false);
      expect(bytes.includes('report.bin'), file).toBe(false);
    }
  });
});
