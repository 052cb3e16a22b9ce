// End to end: the real hoard-server (a child process on a temp data dir) and the hoard CLI, run
// in-process through runCli and, where a process must die mid-way, as the built bin. Walks what a
// new user does: sign up, make folders, put a folder with a multi-part file and an empty file,
// list, get back byte for byte, move, rename, trash, versions, stdin/stdout, an upload killed with
// -9 and resumed (a file, a folder), a download killed with -9 and resumed, a changed file starting over, password change, recovery, account deletion.
// Finally the server's data directory must hold no plaintext and no file name.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  mkdirSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type SpawnedServer, spawnServer } from '@hoard/server/testing';
import { killGetMidway, repoRoot, runHoard, spawnHoard, waitFor } from './testing/harness.js';

const MARKER = 'HOARD-PLAINTEXT-MARKER-7f3a';
const SECRET_NAME = 'secret-file-name-q9z.txt';
const MiB = 1024 * 1024;

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    // A running CLI renames its temp files into place: one may vanish between readdir and stat.
    const stats = statSync(path, { throwIfNoEntry: false });
    if (!stats) return [];
    return stats.isDirectory() ? filesUnder(path) : [path];
  });
}

function oneLineError(result: { code: number; stderr: string }): void {
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(/^hoard: [^\n]+\n$/);
}

// SQLite always; PostgreSQL too when DATABASE_URL is set (CI sets it), each run in a fresh database.
const dialects = process.env.DATABASE_URL ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

describe.each(dialects)('hoard CLI against a real server (%s)', (dialect) => {
  let work: string;
  let server: SpawnedServer;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let env: Record<string, string>;
  const hoard = (args: string[], options: { stdin?: Buffer; env?: Record<string, string> } = {}) =>
    runHoard(
      args,
      { ...env, ...options.env },
      { cwd: work, ...(options.stdin ? { stdin: options.stdin } : {}) },
    );

  beforeAll(async () => {
    execFileSync(
      process.execPath,
      [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/cli', 'packages/server'],
      {
        cwd: repoRoot,
        stdio: 'inherit',
      },
    );
    work = mkdtempSync(join(tmpdir(), 'hoard-cli-e2e-'));
    if (dialect === 'postgres') database = await createPostgresDatabase(process.env.DATABASE_URL!);
    server = await spawnServer({ dataDir: join(work, 'server-data'), databaseUrl: database?.url ?? '' });
    env = {
      HOARD_SERVER: server.url,
      HOARD_HOME: join(work, 'home'),
      HOARD_PASSWORD: 'first password 1',
      HOME: work,
    };
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  let recoveryWords: string[] = [];

  it('signs up, prints the recovery words once with a plain warning, and is logged in', async () => {
    const result = await hoard(['signup', 'Ada@Example.com']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/forgotten password/i);
    expect(result.stdout).toMatch(/lost/i);
    const line = result.stdout.split('\n').find((l) => l.trim().split(/\s+/).length === 24);
    recoveryWords = line!.trim().split(/\s+/);
    expect(recoveryWords).toHaveLength(24);
    const who = await hoard(['whoami', '--json']);
    expect(JSON.parse(who.stdout)).toMatchObject({ email: 'ada@example.com' });
    const mode = statSync(join(env.HOARD_HOME!, 'session.json')).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it('refuses a second account with the same email, in one line', async () => {
    oneLineError(await hoard(['signup', 'ada@example.com']));
  });

  it('puts a folder (multi-part file, empty file, nested) and gets it back byte for byte', async () => {
    expect((await hoard(['mkdir', '-p', '/photos/2024'])).code).toBe(0);
    const local = join(work, 'album');
    mkdirSync(join(local, 'nested', 'deeper'), { recursive: true });
    writeFileSync(join(local, 'big.bin'), randomBytes(17 * MiB + 12345));
    writeFileSync(join(local, 'empty.txt'), '');
    writeFileSync(join(local, 'nested', SECRET_NAME), `${MARKER}\n`.repeat(1000));
    writeFileSync(join(local, 'nested', 'deeper', 'note.md'), '# hello\n');
    const put = await hoard(['put', 'album', '/photos/2024']);
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);

    const ls = await hoard(['ls', '/photos/2024/album', '--json']);
    const entries = JSON.parse(ls.stdout) as { name: string; type: string; sizeBytes: number }[];
    expect(entries.map((e) => [e.name, e.type, e.sizeBytes])).toEqual([
      ['big.bin', 'file', 17 * MiB + 12345],
      ['empty.txt', 'file', 0],
      ['nested', 'folder', 0],
    ]);
    const human = await hoard(['ls', '/photos/2024/album']);
    expect(human.stdout).toMatch(/big\.bin/);
    expect(human.stdout).toMatch(/nested\//);

    const get = await hoard(['get', '/photos/2024/album', 'restored']);
    expect(get.stderr).toBe('');
    expect(get.code).toBe(0);
    for (const rel of [
      'big.bin',
      'empty.txt',
      join('nested', SECRET_NAME),
      join('nested', 'deeper', 'note.md'),
    ]) {
      expect(readFileSync(join(work, 'restored', rel)).equals(readFileSync(join(local, rel))), rel).toBe(
        true,
      );
    }
    expect(readdirSync(join(work, 'restored')).filter((n) => n.includes('partial'))).toEqual([]);

    // The same get run again (after an interruption, or to catch up) fetches only what is missing
    // or differs. Into an existing folder, as with cp, the remote folder lands inside it.
    mkdirSync(join(work, 'mirror'));
    expect((await hoard(['get', '/photos/2024/album', 'mirror'])).code).toBe(0);
    rmSync(join(work, 'mirror', 'album', 'nested', 'deeper', 'note.md'));
    writeFileSync(join(work, 'mirror', 'album', 'empty.txt'), 'changed here');
    const again = await hoard(['get', '/photos/2024/album', 'mirror']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/^skipped 2 file\(s\) already here \(same size and modification time\)$/m);
    for (const rel of [
      'big.bin',
      'empty.txt',
      join('nested', SECRET_NAME),
      join('nested', 'deeper', 'note.md'),
    ]) {
      expect(
        readFileSync(join(work, 'mirror', 'album', rel)).equals(readFileSync(join(local, rel))),
        rel,
      ).toBe(true);
    }
  });

  it('puts and gets a multi-part file byte for byte with content encryption on worker threads', async () => {
    const threads = { HOARD_CRYPTO_THREADS: '2' };
    const path = join(work, 'threaded.bin');
    const data = randomBytes(9 * MiB + 777);
    writeFileSync(path, data);
    expect((await hoard(['put', path, '/'], { env: threads })).code).toBe(0);
    const out = join(work, 'threaded.out');
    expect((await hoard(['get', '/threaded.bin', out], { env: threads })).code).toBe(0);
    expect(readFileSync(out).equals(data)).toBe(true);
    // And read back without workers: the same format either way.
    const plain = join(work, 'threaded.plain');
    expect((await hoard(['get', '/threaded.bin', plain])).code).toBe(0);
    expect(readFileSync(plain).equals(data)).toBe(true);
    oneLineError(await hoard(['ls', '/'], { env: { HOARD_CRYPTO_THREADS: 'many' } }));
  });

  it('streams stdin up and a file down to stdout', async () => {
    const data = randomBytes(300_000);
    const put = await hoard(['put', '-', '/photos', '--name', 'from-stdin.bin'], { stdin: data });
    expect(put.code).toBe(0);
    const get = await hoard(['get', '/photos/from-stdin.bin', '-']);
    expect(get.code).toBe(0);
    expect(get.stdoutBytes.equals(data)).toBe(true);
    oneLineError(await hoard(['put', '-', '/photos'], { stdin: data }));
  });

  it('moves and renames', async () => {
    expect((await hoard(['mkdir', '/archive'])).code).toBe(0);
    expect((await hoard(['mv', '/photos/from-stdin.bin', '/archive'])).code).toBe(0);
    expect((await hoard(['mv', '/archive/from-stdin.bin', '/archive/renamed.bin'])).code).toBe(0);
    expect((await hoard(['mv', '/photos/2024', '/archive/y2024'])).code).toBe(0);
    const ls = JSON.parse((await hoard(['ls', '/archive', '--json'])).stdout) as { name: string }[];
    expect(ls.map((e) => e.name)).toEqual(['renamed.bin', 'y2024']);
    const big = await hoard(['get', '/archive/y2024/album/nested/deeper/note.md', '-']);
    expect(big.stdout).toBe('# hello\n');
    oneLineError(await hoard(['mv', '/archive', '/archive/y2024']));
  });

  it('trashes, lists the trash, restores and empties it', async () => {
    expect((await hoard(['rm', '/archive/renamed.bin'])).code).toBe(0);
    expect(JSON.parse((await hoard(['ls', '/archive', '--json'])).stdout)).toHaveLength(1);
    const trash = JSON.parse((await hoard(['trash', 'ls', '--json'])).stdout) as { path: string }[];
    expect(trash.map((e) => e.path)).toEqual(['/archive/renamed.bin']);
    expect((await hoard(['trash', 'restore', '/archive/renamed.bin'])).code).toBe(0);
    expect(JSON.parse((await hoard(['ls', '/archive', '--json'])).stdout)).toHaveLength(2);
    expect((await hoard(['rm', '/archive/renamed.bin'])).code).toBe(0);
    expect((await hoard(['trash', 'empty'])).code).toBe(0);
    expect(JSON.parse((await hoard(['trash', '--json'])).stdout)).toEqual([]);
    oneLineError(await hoard(['trash', 'restore', '/archive/renamed.bin']));
  });

  it('keeps the old content as a version when a name is uploaded again, and restores it', async () => {
    const doc = join(work, 'doc.txt');
    writeFileSync(doc, 'version one\n');
    expect((await hoard(['put', doc, '/'])).code).toBe(0);
    writeFileSync(doc, 'version two, longer\n');
    expect((await hoard(['put', doc, '/'])).code).toBe(0);
    const versions = JSON.parse((await hoard(['versions', '/doc.txt', '--json'])).stdout) as {
      number: number;
      current: boolean;
      sizeBytes: number;
    }[];
    expect(versions.map((v) => [v.number, v.current, v.sizeBytes])).toEqual([
      [0, true, 20],
      [1, false, 12],
    ]);
    expect((await hoard(['versions', '/doc.txt', 'restore', '1'])).code).toBe(0);
    expect((await hoard(['get', '/doc.txt', '-'])).stdout).toBe('version one\n');
    oneLineError(await hoard(['versions', '/doc.txt', 'restore', '9']));
  });

  async function killMidUpload(
    localPath: string,
    remoteDir: string,
    minRecordedParts: number,
  ): Promise<void> {
    const child = spawnHoard(['put', localPath, remoteDir], env, work);
    const done = waitFor(child);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const records = filesUnder(join(env.HOARD_HOME!, 'uploads')).filter((f) => f.endsWith('.json'));
      const recorded = records.reduce((n, f) => {
        try {
          const parsed = JSON.parse(readFileSync(f, 'utf8')) as { record: { partPlainSha256Hex: object } };
          return Math.max(n, Object.keys(parsed.record.partPlainSha256Hex).length);
        } catch {
          return n;
        }
      }, 0);
      if (recorded >= minRecordedParts || child.exitCode !== null || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    const result = await done;
    expect(result.signal, `the upload finished before it could be killed: ${result.stderr}`).toBe('SIGKILL');
    const left = filesUnder(join(env.HOARD_HOME!, 'uploads')).filter((f) => f.endsWith('.json'));
    expect(left, 'the upload completed before the kill landed').toHaveLength(1);
  }

  it('resumes a put killed with -9 from the parts that landed, and says so', async () => {
    const path = join(work, 'huge.bin');
    writeFileSync(path, randomBytes(72 * MiB));
    await killMidUpload(path, '/resume', 5);
    const again = await hoard(['put', path, '/resume']);
    expect(again.code).toBe(0);
    const match = /resuming upload: (\d+) of (\d+) parts already on the server/.exec(again.stderr);
    expect(match, again.stderr).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThanOrEqual(1);
    expect(Number(match![2])).toBe(10); // 72 MiB of plaintext is a bit more ciphertext: 10 parts of 8 MiB
    const back = await hoard(['get', '/resume/huge.bin', join(work, 'huge.back')]);
    expect(back.code).toBe(0);
    expect(readFileSync(join(work, 'huge.back')).equals(readFileSync(path))).toBe(true);
    expect(JSON.parse((await hoard(['versions', '/resume/huge.bin', '--json'])).stdout)).toHaveLength(1);
  });

  it('goes on with a get killed with -9 from the partial it left beside the target', async () => {
    const dest = join(work, 'huge.again');
    const partial = join(work, '.huge.again.hoard-partial');
    const killed = await killGetMidway(['get', '/resume/huge.bin', dest], env, work, partial, 2 * MiB);
    expect(killed.signal, 'the get finished before it could be killed').toBe('SIGKILL');
    expect(existsSync(dest)).toBe(false);

    const again = await hoard(['get', '/resume/huge.bin', dest]);
    expect(again.code, again.stderr).toBe(0);
    const match = /resuming huge\.bin at (\d+) of (\d+) bytes/.exec(again.stderr);
    expect(match, again.stderr).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThan(0);
    expect(Number(match![2])).toBe(72 * MiB);
    expect(readFileSync(dest).equals(readFileSync(join(work, 'huge.bin')))).toBe(true);
    expect(readdirSync(work).filter((n) => n.includes('hoard-partial'))).toEqual([]);
  });

  it('continues a folder put killed with -9: what it had finished is not uploaded again', async () => {
    const dir = join(work, 'interrupted-album');
    mkdirSync(dir);
    // Files over 4 MiB go one at a time in name order: the first is complete when the second dies.
    const files = new Map<string, Buffer>([
      ['a-first.bin', randomBytes(6 * MiB)],
      ['b-big.bin', randomBytes(72 * MiB)],
      ...Array.from({ length: 5 }, (_, i) => [`small-${i}.txt`, Buffer.from(`note ${i}\n`)] as const),
    ]);
    for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
    await killMidUpload(dir, '/albums', 5);

    const again = await hoard(['put', dir, '/albums']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resuming put: skipped 1 file\(s\) the interrupted run had uploaded/);
    expect(again.stderr).toMatch(/resuming upload: [1-9]\d* of 10 parts already on the server/);
    for (const [name, bytes] of files) {
      expect(
        (await hoard(['get', `/albums/interrupted-album/${name}`, '-'])).stdoutBytes.equals(bytes),
        name,
      ).toBe(true);
      const versions = await hoard(['versions', `/albums/interrupted-album/${name}`, '--json']);
      expect(JSON.parse(versions.stdout), name).toHaveLength(1);
    }

    // Once a put succeeded, running it again is a new upload: new versions, as documented.
    const onPurpose = await hoard(['put', join(dir, 'a-first.bin'), '/albums/interrupted-album']);
    expect(onPurpose.code, onPurpose.stderr).toBe(0);
    expect(onPurpose.stderr).not.toMatch(/resuming/);
    expect(
      JSON.parse((await hoard(['versions', '/albums/interrupted-album/a-first.bin', '--json'])).stdout),
    ).toHaveLength(2);
  });

  it('starts over with a fresh key when the local file changed between attempts', async () => {
    const path = join(work, 'changing.bin');
    const original = randomBytes(72 * MiB);
    writeFileSync(path, original);
    await killMidUpload(path, '/resume', 5);
    const changed = Buffer.from(original);
    changed[100] = changed[100]! ^ 0xff;
    writeFileSync(path, changed);
    const again = await hoard(['put', path, '/resume']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/changed.*starting over/);
    expect(again.stderr).not.toMatch(/resuming upload/);
    const back = await hoard(['get', '/resume/changing.bin', '-']);
    expect(back.stdoutBytes.equals(changed)).toBe(true);
  });

  it('survives a server killed with -9 mid-put: the put fails in one line, and continues once it is back', async () => {
    const path = join(work, 'during-crash.bin');
    writeFileSync(path, randomBytes(64 * MiB));
    const child = spawnHoard(['put', path, '/crash'], env, work);
    const done = waitFor(child);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const recorded = filesUnder(join(env.HOARD_HOME!, 'uploads'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => {
          try {
            return Object.keys(
              (JSON.parse(readFileSync(f, 'utf8')) as { record: { partPlainSha256Hex: object } }).record
                .partPlainSha256Hex,
            ).length;
          } catch {
            return 0;
          }
        });
      if (Math.max(0, ...recorded) >= 5) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await server.kill();
    const failed = await done;
    expect(failed.code).not.toBe(0);
    expect(failed.stderr.trim().split('\n').at(-1)).toMatch(/^hoard: /);
    server = await spawnServer({
      dataDir: server.dataDir,
      port: server.port,
      databaseUrl: server.databaseUrl,
    });
    const again = await hoard(['put', path, '/crash']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resuming upload: [1-9]\d* of 9 parts already on the server/);
    const back = await hoard(['get', '/crash/during-crash.bin', '-']);
    expect(back.stdoutBytes.equals(readFileSync(path))).toBe(true);
  });

  it('reports failures as one line and a non-zero exit code', async () => {
    oneLineError(await hoard(['get', '/no/such/file']));
    oneLineError(await hoard(['ls', '/doc.txt/x']));
    oneLineError(await hoard(['mkdir', '/a/b/c']));
    oneLineError(await hoard(['put', join(work, 'missing.bin'), '/']));
    oneLineError(await hoard(['frobnicate']));
    oneLineError(await hoard(['ls'], { env: { HOARD_HOME: join(work, 'nobody') } }));
    oneLineError(await hoard(['ls'], { env: { HOARD_SERVER: 'http://127.0.0.1:1' } }));
    oneLineError(
      await hoard(['login', 'ada@example.com'], {
        env: { HOARD_HOME: join(work, 'h2'), HOARD_PASSWORD: 'wrong' },
      }),
    );
  });

  it('shows quota and sessions, and revokes a session', async () => {
    const quota = JSON.parse((await hoard(['quota', '--json'])).stdout) as {
      usedBytes: number;
      limitBytes: number;
    };
    expect(quota.usedBytes).toBeGreaterThan(17 * MiB);
    const otherHome = { HOARD_HOME: join(work, 'laptop') };
    expect((await hoard(['login', 'ada@example.com'], { env: otherHome })).code).toBe(0);
    const sessions = JSON.parse((await hoard(['sessions', '--json'])).stdout) as {
      id: string;
      current: boolean;
    }[];
    expect(sessions).toHaveLength(2);
    const other = sessions.find((s) => !s.current)!;
    expect((await hoard(['sessions', 'revoke', other.id])).code).toBe(0);
    oneLineError(await hoard(['ls'], { env: otherHome }));
  });

  it('changes the password, logs out and in again', async () => {
    const passwd = await hoard(['passwd'], { env: { HOARD_NEW_PASSWORD: 'second password 2' } });
    expect(passwd.stderr).toBe('');
    expect(passwd.code).toBe(0);
    expect((await hoard(['ls', '/'])).code).toBe(0);
    expect((await hoard(['logout'])).code).toBe(0);
    oneLineError(await hoard(['ls']));
    oneLineError(await hoard(['login', 'ada@example.com']));
    expect(
      (await hoard(['login', 'ada@example.com'], { env: { HOARD_PASSWORD: 'second password 2' } })).code,
    ).toBe(0);
    expect((await hoard(['get', '/doc.txt', '-'])).stdout).toBe('version one\n');
  });

  it('recovers the account with the recovery words and a new password', async () => {
    const recover = await hoard(['recover', 'ada@example.com'], {
      env: { HOARD_RECOVERY_WORDS: recoveryWords.join(' '), HOARD_PASSWORD: 'third password 3' },
    });
    expect(recover.stderr).toBe('');
    expect(recover.code).toBe(0);
    expect((await hoard(['get', '/doc.txt', '-'])).stdout).toBe('version one\n');
    const wrong = [...recoveryWords].reverse().join(' ');
    oneLineError(await hoard(['recover', 'ada@example.com'], { env: { HOARD_RECOVERY_WORDS: wrong } }));
  });

  it('never stores plaintext or a file name on the server', () => {
    const stored = filesUnder(server.dataDir).map((file) => ({ where: file, bytes: readFileSync(file) }));
    if (database) {
      // On PostgreSQL the metadata lives outside the data directory: search a full dump too.
      const dump = execFileSync('pg_dump', ['--data-only', database.url], { maxBuffer: 256 * MiB });
      expect(dump.includes('ada@example.com')).toBe(true); // the dump is real and readable
      stored.push({ where: 'pg_dump', bytes: dump });
    }
    expect(stored.length).toBeGreaterThan(0);
    for (const { where, bytes } of stored) {
      expect(bytes.includes(MARKER), where).toBe(false);
      expect(bytes.includes(SECRET_NAME), where).toBe(false);
      expect(bytes.includes('note.md'), where).toBe(false);
    }
  });

  it('deletes the account with --yes', async () => {
    const del = await hoard(['delete-account', '--yes'], { env: { HOARD_PASSWORD: 'third password 3' } });
    expect(del.stderr).toBe('');
    expect(del.code).toBe(0);
    oneLineError(await hoard(['whoami']));
    oneLineError(await hoard(['login', 'ada@example.com'], { env: { HOARD_PASSWORD: 'third password 3' } }));
  });
});
