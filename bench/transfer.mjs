// Transfer benchmark (issue 3, section 8). In one run, against a local one-box server built from this
// checkout (run `npm run build` first; `npm run bench` does not build):
//   upload MB/s of `hoard put`      vs  `dd conv=fsync` of the same bytes on the same disk
//   download MB/s of `hoard get`    vs  in-process AES-256-GCM decryption of the same size in 16 KiB chunks
//   and, beside it, what this machine allows any client: the same ciphertext fetched over plain
//   node:http with nothing decrypted, once into nothing and once into a file made durable the way
//   `hoard get` makes its output (background fdatasync, fsync at the end)
//   peak RSS (VmHWM) of the CLI during put/get and of the server over the whole run
//   sign-up, login
//   `hoard put` of a folder of N small files  vs  writing the same files here, each fsynced (a local
//                                                durable copy: what a one-box server cannot beat)
//   `hoard ls` of that folder                  vs  `hoard ls` of a folder of one file (the fixed
//                                                cost of a CLI process: start, session, path)
// Options: --size-mib N (default 1024), --files N (default 10000), --keep (leave the temp dir),
// --only small-files (skip the large file: just the folder of N files, its put and its listing).
import { spawn, spawnSync } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
// The server's test support (built dist): starts hoard-server and waits for /healthz, one way only.
import { spawnServer } from '@hoard/server/testing';

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    files: { type: 'string', default: '10000' },
    keep: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
if (values.only !== undefined && values.only !== 'small-files') throw new Error('--only takes small-files');
const largeFile = values.only !== 'small-files';
const sizeMiB = Number(values['size-mib']);
const fileCount = Number(values.files);
const root = join(import.meta.dirname, '..');
const cliMain = join(root, 'packages/cli/dist/main.js');
const work = mkdtempSync(join(tmpdir(), 'hoard-bench-'));
const MiB = 1024 * 1024;
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const mbps = (bytes, ms) => (bytes / 1e6 / (ms / 1000)).toFixed(1);

/** Peak resident set size of a live process, in MiB (the kernel's high-water mark). */
function peakRssMiB(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a live process has used so far, from /proc/PID/stat. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds of this process's reaped children (the CLI runs exit one at a time). */
function childrenCpuSeconds() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}

/** Runs the CLI, sampling its peak RSS until it exits; `cpuS` is the CPU seconds it used. */
function hoard(args, env, { stdin } = {}) {
  return new Promise((resolve, reject) => {
    const cpuBefore = childrenCpuSeconds();
    const started = performance.now();
    const child = spawn(process.execPath, [cliMain, ...args], {
      env: { ...process.env, ...env },
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, peakRssMiB(child.pid) ?? 0)), 20);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    if (stdin) child.stdin.end(stdin);
    child.on('exit', (code) => {
      clearInterval(timer);
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`hoard ${args.join(' ')} exited ${code}: ${err.trim()}`));
      else resolve({ ms, peakMiB: peak, out, cpuS: childrenCpuSeconds() - cpuBefore });
    });
  });
}

function writeRandomFile(path, bytes) {
  const fd = openSync(path, 'w');
  const block = randomBytes(8 * MiB);
  for (let done = 0; done < bytes; done += block.length) {
    writeSync(fd, block, 0, Math.min(block.length, bytes - done));
    randomBytes(8 * MiB).copy(block); // fresh bytes so nothing downstream can deduplicate
  }
  closeSync(fd);
}

function gcmDecryptRate(bytes) {
  // The same shape of work as a download: one AES-256-GCM open per 16 KiB chunk.
  const key = randomBytes(32);
  const chunk = randomBytes(16384);
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  const ct = Buffer.concat([c.update(chunk), c.final()]);
  const tag = c.getAuthTag();
  const n = Math.ceil(bytes / 16384);
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const d = createDecipheriv('aes-256-gcm', key, nonce);
    d.setAuthTag(tag);
    d.update(ct);
    d.final();
  }
  return performance.now() - started;
}

/**
 * Fetches `path` from the server over plain node:http with the CLI's session, writing the body to
 * `file` (made durable as `hoard get` does: a background fdatasync every 32 MiB, an fsync at the
 * end; chunks that arrive during a write go out together in one writev) or dropping it (`file`
 * undefined). Nothing is decrypted: the floor any client pays on this machine.
 */
async function rawFetchMs(base, token, path, file) {
  const started = performance.now();
  const fh = file === undefined ? undefined : await open(file, 'w');
  let bytes = 0;
  const res = await new Promise((resolve, reject) => {
    httpGet(new URL(path, base), { headers: { authorization: `Bearer ${token}` } }, resolve).on(
      'error',
      reject,
    );
  });
  if (res.statusCode !== 200) throw new Error(`GET ${path} answered ${res.statusCode}`);
  let sinceSync = 0;
  let syncing;
  const sink = fh?.createWriteStream({ highWaterMark: 8 * MiB });
  for await (const chunk of res) {
    bytes += chunk.length;
    if (!sink) continue;
    sinceSync += chunk.length;
    if (sinceSync >= 32 * MiB && !syncing) {
      sinceSync = 0;
      syncing = fh.datasync().then(() => (syncing = undefined));
    }
    if (!sink.write(chunk)) await new Promise((resolve) => sink.once('drain', resolve));
  }
  if (sink) {
    await new Promise((resolve, reject) => sink.end((error) => (error ? reject(error) : resolve())));
    await syncing;
    // The stream closes the handle when it ends: sync through a new one, as a crash would need.
    const again = await open(file, 'r+');
    await again.sync();
    await again.close();
  }
  return { ms: performance.now() - started, bytes };
}

/** Writes `count` small files as `hoard put` sends them, each durable (fsync file, then folder). */
function durableCopyMs(dir, count) {
  mkdirSync(dir);
  const started = performance.now();
  const dirFd = openSync(dir, 'r');
  for (let i = 0; i < count; i++) {
    const fd = openSync(join(dir, `f${String(i).padStart(5, '0')}.txt`), 'w');
    writeSync(fd, `${i}\n`);
    fsyncSync(fd);
    closeSync(fd);
    fsyncSync(dirFd);
  }
  closeSync(dirFd);
  return performance.now() - started;
}

async function main() {
  const bytes = sizeMiB * MiB;
  const input = join(work, 'input.bin');
  console.log(
    `# hoard transfer benchmark: ${largeFile ? `${sizeMiB} MiB, ` : ''}${fileCount} small files, work dir ${work}`,
  );
  let ddMBps = 0;
  let gcmMs = 0;
  if (largeFile) {
    writeRandomFile(input, bytes);

    // Baseline 1: the disk, writing and fsyncing the same bytes.
    const dd = spawnSync('dd', [`if=${input}`, `of=${join(work, 'dd.bin')}`, 'bs=8M', 'conv=fsync'], {
      encoding: 'utf8',
    });
    const ddLine = dd.stderr.trim().split('\n').pop();
    const ddSeconds = Number(/([\d.]+) s,/.exec(ddLine)?.[1]);
    rmSync(join(work, 'dd.bin'));
    ddMBps = bytes / 1e6 / ddSeconds;

    // Baseline 2: in-process AES-256-GCM decryption.
    gcmMs = gcmDecryptRate(bytes);
  }

  const server = await spawnServer({ dataDir: join(work, 'data') });
  const base = server.url;
  let serverPeak = 0;
  const serverTimer = setInterval(
    () => (serverPeak = Math.max(serverPeak, peakRssMiB(server.process.pid) ?? 0)),
    50,
  );

  const env = {
    HOARD_SERVER: base,
    HOARD_HOME: join(work, 'home'),
    HOARD_PASSWORD: 'correct horse battery staple',
  };
  try {
    const signup = await hoard(['signup', 'bench@example.com'], env);
    await hoard(['logout'], env);
    const login = await hoard(['login', 'bench@example.com'], env);

    let put;
    let get;
    let same = true;
    let rawNull;
    let rawFile;
    const serverCpuPut = cpuSeconds(server.process.pid);
    let serverCpuGet = serverCpuPut;
    let serverCpuEnd = serverCpuPut;
    if (largeFile) {
      put = await hoard(['put', input, '/'], env);
      serverCpuGet = cpuSeconds(server.process.pid);
      const out = join(work, 'output.bin');
      get = await hoard(['get', '/input.bin', out], env);
      same = spawnSync('cmp', [input, out]).status === 0;
      rmSync(out);
      serverCpuEnd = cpuSeconds(server.process.pid);
      // The floor: the same ciphertext with no decryption, over plain node:http (the bench's own
      // process), into nothing and into a durable file.
      const token = JSON.parse(readFileSync(join(env.HOARD_HOME, 'session.json'), 'utf8')).token;
      const [version] = JSON.parse((await hoard(['versions', '/input.bin', '--json'], env)).out);
      const contentPath = `/versions/${version.id}/content`;
      rawNull = await rawFetchMs(base, token, contentPath);
      rawFile = await rawFetchMs(base, token, contentPath, join(work, 'raw.bin'));
      rmSync(join(work, 'raw.bin'));
    }
    const perGiB = (seconds) => (seconds / (bytes / (1024 * MiB))).toFixed(2);

    const many = join(work, 'many');
    mkdirSync(many);
    for (let i = 0; i < fileCount; i++)
      writeFileSync(join(many, `f${String(i).padStart(5, '0')}.txt`), `${i}\n`);
    const copyMs = durableCopyMs(join(work, 'durable-copy'), fileCount);
    const putMany = await hoard(['put', many, '/'], env);
    // Listings take the best of three runs each: one CLI process is short, and the machine is shared.
    const bestOf3 = async (args) => {
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await hoard(args, env));
      return runs.reduce((a, b) => (b.ms < a.ms ? b : a));
    };
    const ls = await bestOf3(['ls', '/many', '--json']);
    const listed = JSON.parse(ls.out).length;
    const one = join(work, 'one');
    mkdirSync(one);
    writeFileSync(join(one, 'f.txt'), '0\n');
    await hoard(['put', one, '/'], env);
    const lsOne = await bestOf3(['ls', '/one', '--json']);

    console.log('');
    console.log('| measure | figure | baseline (same run) | ratio |');
    console.log('| --- | --- | --- | --- |');
    if (largeFile) {
      console.log(
        `| upload (hoard put) | ${mbps(bytes, put.ms)} MB/s | dd conv=fsync ${ddMBps.toFixed(1)} MB/s | ${(bytes / 1e6 / (put.ms / 1000) / ddMBps).toFixed(2)}x |`,
      );
      console.log(
        `| download (hoard get) | ${mbps(bytes, get.ms)} MB/s | AES-256-GCM decrypt ${mbps(bytes, gcmMs)} MB/s | ${(gcmMs / get.ms).toFixed(2)}x |`,
      );
      console.log(
        `| ciphertext fetch alone, nothing decrypted: into nothing / into a durable file | ${mbps(rawNull.bytes, rawNull.ms)} / ${mbps(rawFile.bytes, rawFile.ms)} MB/s | AES-256-GCM decrypt ${mbps(bytes, gcmMs)} MB/s | ${(gcmMs / rawNull.ms).toFixed(2)}x / ${(gcmMs / rawFile.ms).toFixed(2)}x (the most any client reaches here) |`,
      );
      console.log(
        `| CLI peak RSS put / get | ${put.peakMiB.toFixed(0)} / ${get.peakMiB.toFixed(0)} MiB | target < 200 MiB | |`,
      );
    }
    console.log(`| server peak RSS (whole run) | ${serverPeak.toFixed(0)} MiB | | |`);
    if (largeFile) {
      console.log(
        `| CPU s per GiB, put: CLI / server | ${perGiB(put.cpuS)} / ${perGiB(serverCpuGet - serverCpuPut)} | | |`,
      );
      console.log(
        `| CPU s per GiB, get: CLI / server | ${perGiB(get.cpuS)} / ${perGiB(serverCpuEnd - serverCpuGet)} | | |`,
      );
    }
    console.log(
      `| sign-up / login (CLI process) | ${signup.ms.toFixed(0)} / ${login.ms.toFixed(0)} ms | | |`,
    );
    console.log(
      `| put ${fileCount} small files | ${(putMany.ms / 1000).toFixed(1)} s (${(putMany.ms / fileCount).toFixed(1)} ms a file) | the same files written and fsynced here ${(copyMs / 1000).toFixed(1)} s | ${(putMany.ms / copyMs).toFixed(1)}x the time |`,
    );
    console.log(
      `| ls of ${listed} files (CLI process, best of 3) | ${ls.ms.toFixed(0)} ms, peak RSS ${ls.peakMiB.toFixed(0)} MiB | ls of a folder of 1 file ${lsOne.ms.toFixed(0)} ms | ${(ls.ms / lsOne.ms).toFixed(1)}x the time (${(((ls.ms - lsOne.ms) / listed) * 1000).toFixed(0)} us an entry) |`,
    );
    if (largeFile) console.log(`| bytes downloaded equal uploaded | ${same ? 'yes' : 'NO'} | | |`);
    if (listed !== fileCount) {
      console.log(`| files listed | ${listed} of ${fileCount} | | |`);
      process.exitCode = 1;
    }
    if (!same) process.exitCode = 1;
  } finally {
    clearInterval(serverTimer);
    await server.stop();
    if (!values.keep) rmSync(work, { recursive: true, force: true });
  }
}

await main();
