// End to end, sharing between accounts: three real accounts (each its own HOARD_HOME) on a real
// hoard-server. Ada shares a folder with Bob (read-write) and Cyd (read-only) through HPKE-sealed,
// signed folder keys; invitations are accepted once; Bob reads and uploads (Ada's quota pays, Ada
// reads Bob's file); Cyd cannot write; contacts are pinned on first use, safety numbers agree, a
// changed key stops `hoard share` until re-verified; unsharing cuts Bob off at once.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type SpawnedServer, spawnServer } from '@hoard/server/testing';
import { repoRoot, runHoard } from './testing/harness.js';

const dialects = process.env.DATABASE_URL ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

function oneLineError(result: { code: number; stderr: string }, pattern?: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(/^hoard: [^\n]+\n$/);
  if (pattern) expect(result.stderr).toMatch(pattern);
}

describe.each(dialects)('sharing folders between accounts through the hoard CLI (%s)', (dialect) => {
  let work: string;
  let server: SpawnedServer;
  let database: { url: string; drop(): Promise<void> } | undefined;
  const envOf = (who: string) => ({
    HOARD_SERVER: server.url,
    HOARD_HOME: join(work, `${who}-home`),
    HOARD_PASSWORD: `${who} password 1`,
    HOME: work,
  });
  const as = (who: string) => (args: string[]) => runHoard(args, envOf(who), { cwd: work });
  const ada = (args: string[]) => as('ada')(args);
  const bob = (args: string[]) => as('bob')(args);
  const cyd = (args: string[]) => as('cyd')(args);

  beforeAll(async () => {
    execFileSync(
      process.execPath,
      [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/cli', 'packages/server'],
      { cwd: repoRoot, stdio: 'inherit' },
    );
    work = mkdtempSync(join(tmpdir(), 'hoard-shares-e2e-'));
    if (dialect === 'postgres') database = await createPostgresDatabase(process.env.DATABASE_URL!);
    server = await spawnServer({ dataDir: join(work, 'server-data'), databaseUrl: database?.url ?? '' });
    for (const who of ['ada', 'bob', 'cyd'])
      expect((await as(who)(['signup', `${who}@example.com`])).code).toBe(0);
    writeFileSync(join(work, 'plan.txt'), 'the plan\n'.repeat(1000));
    writeFileSync(join(work, 'big.bin'), randomBytes(9 * 1024 * 1024 + 3));
    expect((await ada(['mkdir', '/team'])).code).toBe(0);
    expect((await ada(['mkdir', '/private'])).code).toBe(0);
    expect((await ada(['put', 'plan.txt', 'big.bin', '/team'])).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  let bobInvite = '';

  it('shares a folder, pinning the member on first use; refuses bad shares with one clear line', async () => {
    const shared = await ada(['share', '/team', 'Bob@Example.com', '--write']);
    expect(shared.code).toBe(0);
    expect(shared.stdout).toMatch(/invited bob@example.com to \/team \(read-write\)/);
    expect(shared.stderr).toMatch(/pinned the keys of bob@example.com/);
    expect((await ada(['share', '/team', 'cyd@example.com'])).stdout).toMatch(/read-only/);
    oneLineError(await ada(['share', '/team', 'bob@example.com']), /already shared/);
    oneLineError(await ada(['share', '/team', 'nobody@example.com']), /no account/);
    oneLineError(await ada(['share', '/team/plan.txt', 'bob@example.com']), /only folders/);
    oneLineError(await ada(['share', '/', 'bob@example.com']), /root/);
    oneLineError(await ada(['share', '/team', 'ada@example.com']), /yourself/);
    const listed = JSON.parse((await ada(['shares', '--json'])).stdout) as {
      email: string;
      status: string;
      path: string;
    }[];
    expect(listed.map((s) => [s.email, s.status, s.path]).sort()).toEqual([
      ['bob@example.com', 'pending', '/team'],
      ['cyd@example.com', 'pending', '/team'],
    ]);
  });

  it('lets the member accept an invitation once, then see the folder under --shared', async () => {
    const invites = JSON.parse((await bob(['invites', '--json'])).stdout) as { id: string; from: string }[];
    expect(invites).toHaveLength(1);
    expect(invites[0]!.from).toBe('ada@example.com');
    bobInvite = invites[0]!.id;
    const accepted = await bob(['invites', 'accept', bobInvite]);
    expect(accepted.stderr).toMatch(/pinned the keys of ada@example.com/);
    expect(accepted.stdout).toMatch(/accepted: \/team from ada@example.com/);
    oneLineError(await bob(['invites', 'accept', bobInvite]), /already accepted/);
    const top = JSON.parse((await bob(['ls', '--shared', '--json'])).stdout) as {
      name: string;
      access: string;
      owner: string;
    }[];
    expect(top).toEqual([
      expect.objectContaining({ name: 'team', access: 'write', owner: 'ada@example.com' }),
    ]);
    const inside = JSON.parse((await bob(['ls', '--shared', '/team', '--json'])).stdout) as {
      name: string;
    }[];
    expect(inside.map((e) => e.name)).toEqual(['big.bin', 'plan.txt']);
    // Bob's own tree is untouched.
    expect(JSON.parse((await bob(['ls', '/', '--json'])).stdout)).toEqual([]);
  });

  it('lets a read-write member read and upload (charged to the owner, readable by the owner)', async () => {
    expect((await bob(['get', '--shared', '/team/big.bin', 'bob-big.bin'])).code).toBe(0);
    expect(readFileSync(join(work, 'bob-big.bin')).equals(readFileSync(join(work, 'big.bin')))).toBe(true);
    writeFileSync(join(work, 'from-bob.txt'), 'hello from bob\n');
    const quotaBefore = JSON.parse((await ada(['quota', '--json'])).stdout) as { usedBytes: number };
    const bobBefore = JSON.parse((await bob(['quota', '--json'])).stdout) as { usedBytes: number };
    const put = await bob(['put', '--shared', 'from-bob.txt', '/team']);
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    const quotaAfter = JSON.parse((await ada(['quota', '--json'])).stdout) as { usedBytes: number };
    expect(quotaAfter.usedBytes).toBeGreaterThan(quotaBefore.usedBytes);
    expect(JSON.parse((await bob(['quota', '--json'])).stdout)).toMatchObject({
      usedBytes: bobBefore.usedBytes,
    });
    expect((await ada(['get', '/team/from-bob.txt', '-'])).stdout).toBe('hello from bob\n');
  });

  it('lets a read-write member put a whole folder and stdin, and get a folder again: only what is missing', async () => {
    const album = join(work, 'bob-album');
    mkdirSync(join(album, 'inner'), { recursive: true });
    writeFileSync(join(album, 'a.txt'), 'a\n');
    writeFileSync(join(album, 'inner', 'b.bin'), randomBytes(5 * 1024 * 1024));
    const put = await bob(['put', '--shared', 'bob-album', '/team']);
    expect(put.code, put.stderr).toBe(0);
    const piped = await runHoard(['put', '--shared', '-', '/team', '--name', 'piped.txt'], envOf('bob'), {
      cwd: work,
      stdin: Buffer.from('piped\n'),
    });
    expect(piped.code, piped.stderr).toBe(0);
    const back = await ada(['get', '/team/bob-album/inner/b.bin', '-']);
    expect(back.stdoutBytes.equals(readFileSync(join(album, 'inner', 'b.bin')))).toBe(true);
    expect((await ada(['get', '/team/piped.txt', '-'])).stdout).toBe('piped\n');

    mkdirSync(join(work, 'bob-mirror'));
    expect((await bob(['get', '--shared', '/team/bob-album', 'bob-mirror'])).code).toBe(0);
    rmSync(join(work, 'bob-mirror', 'bob-album', 'a.txt'));
    const again = await bob(['get', '--shared', '/team/bob-album', 'bob-mirror']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/^skipped 1 file\(s\) already here/m);
    for (const rel of ['a.txt', join('inner', 'b.bin')]) {
      const copy = readFileSync(join(work, 'bob-mirror', 'bob-album', rel));
      expect(copy.equals(readFileSync(join(album, rel))), rel).toBe(true);
    }
    expect((await bob(['rm', '--shared', '/team/bob-album', '/team/piped.txt'])).code).toBe(0);
  });

  it("lets a read-write member make folders, rename, move within and delete to the owner's trash", async () => {
    expect((await bob(['mkdir', '--shared', '/team/drafts'])).code).toBe(0);
    const mv = await bob(['mv', '--shared', '/team/from-bob.txt', '/team/drafts']);
    expect(mv.stderr).toBe('');
    expect(
      (await bob(['mv', '--shared', '/team/drafts/from-bob.txt', '/team/drafts/renamed.txt'])).code,
    ).toBe(0);
    expect((await ada(['get', '/team/drafts/renamed.txt', '-'])).stdout).toBe('hello from bob\n');
    oneLineError(await bob(['mv', '--shared', '/team', '/team/drafts']), /belongs to its owner/);
    oneLineError(await bob(['rm', '--shared', '/team']), /belongs to its owner/);
    expect((await bob(['rm', '--shared', '/team/drafts/renamed.txt'])).code).toBe(0);
    const trash = JSON.parse((await ada(['trash', '--json'])).stdout) as { path: string }[];
    expect(trash.map((e) => e.path)).toContain('/team/drafts/renamed.txt');
  });

  it('keeps a read-only member from writing', async () => {
    const [invite] = JSON.parse((await cyd(['invites', '--json'])).stdout) as { id: string }[];
    expect((await cyd(['invites', 'accept', invite!.id])).code).toBe(0);
    expect((await cyd(['get', '--shared', '/team/plan.txt', '-'])).stdout).toBe('the plan\n'.repeat(1000));
    oneLineError(await cyd(['put', '--shared', 'plan.txt', '/team']), /read-only/);
    oneLineError(await cyd(['mkdir', '--shared', '/team/mine']), /read-only/);
    oneLineError(await cyd(['rm', '--shared', '/team/plan.txt']), /read-only/);
    oneLineError(await cyd(['mv', '--shared', '/team/plan.txt', '/team/drafts']), /read-only/);
    const names = (JSON.parse((await ada(['ls', '/team', '--json'])).stdout) as { name: string }[]).map(
      (e) => e.name,
    );
    expect(names).toEqual(['big.bin', 'drafts', 'plan.txt']);
  });

  it('shows the same safety number on both sides; a changed key stops `share` until re-verified', async () => {
    const fromAda = await ada(['contacts', 'verify', 'bob@example.com', '--yes']);
    const fromBob = await bob(['contacts', 'verify', 'ada@example.com', '--yes']);
    const digits = (s: string) => (s.match(/\d{5}/g) ?? []).join(' ');
    expect(digits(fromAda.stdout)).toHaveLength(12 * 6 - 1);
    expect(digits(fromAda.stdout)).toBe(digits(fromBob.stdout));
    const contacts = JSON.parse((await ada(['contacts', '--json'])).stdout) as {
      email: string;
      verifiedAt: string | null;
    }[];
    expect(contacts.find((c) => c.email === 'bob@example.com')?.verifiedAt).not.toBeNull();

    // Bob's pinned keys no longer match what the server publishes (as if the server swapped them).
    const dir = join(work, 'ada-home', 'contacts');
    const file = join(dir, readdirSync(dir)[0]!);
    const store = JSON.parse(readFileSync(file, 'utf8')) as {
      contacts: { email: string; encryptionPublicKey: string }[];
    };
    const other = JSON.parse(readFileSync(file, 'utf8')) as typeof store;
    const cydKey = other.contacts.find((c) => c.email === 'cyd@example.com')!.encryptionPublicKey;
    store.contacts.find((c) => c.email === 'bob@example.com')!.encryptionPublicKey = cydKey;
    writeFileSync(file, JSON.stringify(store));
    oneLineError(await ada(['share', '/private', 'bob@example.com']), /keys of bob@example.com changed/);
    const shares = JSON.parse((await ada(['shares', '--json'])).stdout) as { path: string }[];
    expect(shares.filter((s) => s.path === '/private')).toEqual([]);
    const verify = await ada(['contacts', 'verify', 'bob@example.com']);
    expect(verify.stdout).toMatch(/CHANGED/);
    expect(verify.stdout).toMatch(/--yes/);
    expect((await ada(['contacts', 'verify', 'bob@example.com', '--yes'])).code).toBe(0);
    expect((await ada(['share', '/private', 'bob@example.com'])).code).toBe(0);
  });

  it('cuts a removed member off at once', async () => {
    expect((await ada(['unshare', '/team', 'bob@example.com'])).stdout).toMatch(/removed bob@example.com/);
    expect(JSON.parse((await bob(['ls', '--shared', '--json'])).stdout)).toEqual([]);
    oneLineError(await bob(['get', '--shared', '/team/plan.txt', '-']), /no folder called team/);
    oneLineError(await ada(['unshare', '/team', 'bob@example.com']), /not shared with/);
    // Cyd still has it.
    expect((await cyd(['ls', '--shared', '/team', '--json'])).code).toBe(0);
  });

  it('declines an invitation', async () => {
    expect((await ada(['share', '/private', 'cyd@example.com'])).code).toBe(0);
    const [invite] = JSON.parse((await cyd(['invites', '--json'])).stdout) as { id: string }[];
    expect((await cyd(['invites', 'decline', invite!.id])).stdout).toMatch(/declined/);
    oneLineError(await cyd(['invites', 'accept', invite!.id]), /already declined/);
    const names = (JSON.parse((await cyd(['ls', '--shared', '--json'])).stdout) as { name: string }[]).map(
      (e) => e.name,
    );
    expect(names).toEqual(['team']);
  });
});
