// Links benchmark (issue 4). In one run, against a local one-box server built from this checkout
// (run `npm run build` first; `npm run bench` does not build):
//   anonymous `hoard get URL` MB/s of one file   vs  the owner's own `hoard get PATH` of the same file
//   (each run twice, alternating, best of two, so that neither profits from a warmer cache alone)
//   time to open a folder link of N files: PublicLinkSession.open + list (in process, the CLI's
//   node:crypto AEAD and transport), beside the owner's own listing of the same folder
// Options: --size-mib N (default 1024), --files N (default 10000), --keep (leave the temp dir).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
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
  },
});
const sizeMiB = Number(values['size-mib']);
const fileCount = Number(values.files);
const root = join(import.meta.dirname, '..');
const cliMain = join(root, 'packages/cli/dist/main.js');
const { HoardClient, PublicLinkSession } = await import(join(root, 'packages/client/dist/index.js'));
const { nodeAead } = await import(join(root, 'packages/cli/dist/node-aead.js'));
const { nodeFetch } = await import(join(root, 'packages/cli/dist/node-fetch.js'));
const work = mkdtempSync(join(tmpdir(), 'hoard-bench-links-'));
const MiB = 1024 * 1024;
const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);

function hoard(args, env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cliMain, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`hoard ${args.join(' ')} exited ${code}: ${err.trim()}`));
      else resolve({ ms, out });
    });
  });
}

function writeRandomFile(path, bytes) {
  const fd = openSync(path, 'w');
  const block = randomBytes(8 * MiB);
  for (let done = 0; done < bytes; done += block.length) {
    writeSync(fd, block, 0, Math.min(block.length, bytes - done));
    randomBytes(8 * MiB).copy(block);
  }
  closeSync(fd);
}

async function main() {
  const bytes = sizeMiB * MiB;
  const input = join(work, 'input.bin');
  console.log(
    `# hoard links benchmark: ${sizeMiB} MiB file, folder link of ${fileCount} files, work dir ${work}`,
  );
  writeRandomFile(input, bytes);

  const server = await spawnServer({ dataDir: join(work, 'data') });
  const base = server.url;
  const env = {
    HOARD_SERVER: base,
    HOARD_HOME: join(work, 'home'),
    HOARD_PASSWORD: 'correct horse battery staple',
  };
  const anonEnv = { HOARD_SERVER: base, HOARD_HOME: join(work, 'anon-home') };
  try {
    await hoard(['signup', 'bench@example.com'], env);
    await hoard(['put', input, '/'], env);
    const url = (await hoard(['link', '/input.bin'], env)).out.trim();
    const owner = [];
    const anon = [];
    let same = true;
    for (let round = 0; round < 2; round++) {
      for (const [list, args, e] of [
        [owner, ['get', '/input.bin', join(work, 'owner.bin')], env],
        [anon, ['get', url, join(work, 'anon.bin')], anonEnv],
      ]) {
        rmSync(args[2], { force: true });
        list.push((await hoard(args, e)).ms);
        same &&= spawnSync('cmp', [input, args[2]]).status === 0;
        rmSync(args[2]);
      }
    }
    const ownerMBps = mbps(bytes, Math.min(...owner));
    const anonMBps = mbps(bytes, Math.min(...anon));

    const many = join(work, 'many');
    mkdirSync(many);
    for (let i = 0; i < fileCount; i++)
      writeFileSync(join(many, `f${String(i).padStart(5, '0')}.txt`), `${i}\n`);
    await hoard(['put', many, '/'], env);
    const folderUrl = (await hoard(['link', '/many'], env)).out.trim();
    const content = { aead: nodeAead };
    let started = performance.now();
    const link = await PublicLinkSession.open(folderUrl, { fetch: nodeFetch, content });
    const { entries } = await link.list(link.root);
    const openMs = performance.now() - started;
    const client = new HoardClient({ serverUrl: base, fetch: nodeFetch, content });
    const session = await client.login('bench@example.com', env.HOARD_PASSWORD);
    started = performance.now();
    const folder = await session.tree.get('/many');
    const own = await session.tree.list(folder);
    const ownMs = performance.now() - started;
    const lsCli = await hoard(['ls', '/many', '--json'], env);

    console.log('');
    console.log('| measure | figure | baseline (same run) | ratio |');
    console.log('| --- | --- | --- | --- |');
    console.log(
      `| anonymous link download (hoard get URL), ${sizeMiB} MiB | ${anonMBps.toFixed(1)} MB/s | owner's hoard get PATH ${ownerMBps.toFixed(1)} MB/s | ${(anonMBps / ownerMBps).toFixed(2)}x |`,
    );
    console.log(
      `| open a folder link of ${entries.length} files (open + list, in process) | ${openMs.toFixed(0)} ms | owner's tree.get + list ${ownMs.toFixed(0)} ms | ${(openMs / ownMs).toFixed(2)}x |`,
    );
    console.log(`| owner's hoard ls of the same folder (CLI process) | ${lsCli.ms.toFixed(0)} ms | | |`);
    console.log(`| bytes downloaded equal uploaded (both ways) | ${same ? 'yes' : 'NO'} | | |`);
    if (!same || entries.length !== fileCount) process.exitCode = 1;
  } finally {
    await server.stop();
    if (!values.keep) rmSync(work, { recursive: true, force: true });
  }
}

await main();
