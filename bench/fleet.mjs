// Fleet benchmark (issue 6). Against real hoard-server processes built from this checkout (run
// `npm run build` first), PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres,
// where it creates and drops throwaway hoard_test_* databases), Ceph RGW (S3_* from `s3-ceph up`, or started
// here and stopped at the end) and Redis (REDIS_URL, default redis://127.0.0.1:6379):
//   1. upload / download MB/s through 1 and 2 servers, direct (presigned) and proxy transfers
//   2. metadata ops/s (list, mkdir with autocannon; move with a closed loop) on SQLite and PostgreSQL
//   3. listing one folder of --folder-nodes nodes (default 100,000) on PostgreSQL
//   4. --ranges concurrent range downloads (default 1,000) through one proxy server: errors, RSS
// Raw protocol from this process (no encryption: the client's AES cost is measured by `transfer`).
// Options: --size-mib N (per throughput run, default 256), --duration S (autocannon, default 5),
// --folder-nodes N, --ranges N, --only 1,2,3 (sections; 3 includes 4).
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
// The server's test support (built dist): throwaway databases and free ports, made one way only.
import { createPostgresDatabase, freePort } from '@hoard/server/testing';
import * as opaque from '@serenity-kit/opaque';
import autocannon from 'autocannon';
import pg from 'pg';

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '256' },
    duration: { type: 'string', default: '5' },
    'folder-nodes': { type: 'string', default: '100000' },
    ranges: { type: 'string', default: '1000' },
    only: { type: 'string' },
  },
});
/** `--only 1,3` runs those sections only. */
const only = values.only ? new Set(values.only.split(',')) : undefined;
const runs = (section) => !only || only.has(section);
const sizeMiB = Number(values['size-mib']);
const duration = Number(values.duration);
const folderNodes = Number(values['folder-nodes']);
const rangeCount = Number(values.ranges);

const root = join(import.meta.dirname, '..');
const serverMain = join(root, 'packages/server/dist/main.js');
const cephTool = join(root, '..', 'shared', 'tools', 's3-ceph');
const work = mkdtempSync(join(tmpdir(), 'hoard-bench-fleet-'));
const MiB = 1024 * 1024;
const adminUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const mbps = (bytes, ms) => (bytes / 1e6 / (ms / 1000)).toFixed(1);
const id = () => randomBytes(16).toString('base64url');
const key32 = () => randomBytes(32).toString('base64url');
const cleanups = [];

// ---------------------------------------------------------------------------------------------
// Services and servers.

let cephDir;
if (!process.env.S3_ENDPOINT) {
  cephDir = join(work, 'ceph');
  const out = execFileSync(cephTool, ['up', cephDir], { encoding: 'utf8' });
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) process.env[m[1]] = m[2];
}
const s3Env = (bucket) => ({
  HOARD_S3_ENDPOINT: process.env.S3_ENDPOINT,
  HOARD_S3_ACCESS_KEY_ID: process.env.S3_ACCESS_KEY_ID,
  HOARD_S3_SECRET_ACCESS_KEY: process.env.S3_SECRET_ACCESS_KEY,
  HOARD_S3_REGION: process.env.S3_REGION || 'us-east-1',
  HOARD_S3_FORCE_PATH_STYLE: 'true',
  HOARD_S3_BUCKET: bucket,
});

async function pgRun(url, statement, params = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(statement, params);
  } finally {
    await client.end();
  }
}

async function newDatabase() {
  const database = await createPostgresDatabase(adminUrl);
  cleanups.push(() => database.drop());
  return database.url;
}

function rssMiB(pid, field = 'VmHWM') {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function startServer(env) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(work, 'data-'));
  const child = spawn(process.execPath, [serverMain, '--data', dataDir, '--port', String(port)], {
    env: {
      ...process.env,
      HOARD_LOG_LEVEL: 'warn',
      HOARD_FREE_QUOTA_BYTES: String(1e15),
      DATABASE_URL: '',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => child.once('exit', r));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`hoard-server exited: ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not yet
    }
    if (i > 600) throw new Error(`hoard-server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const server = {
    url,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  cleanups.push(() => server.stop());
  return server;
}

// ---------------------------------------------------------------------------------------------
// Protocol.

async function call(base, method, path, token, json) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : undefined;
}

async function signUp(base) {
  await opaque.ready;
  const password = 'bench password';
  const start = opaque.client.startRegistration({ password });
  const email = `bench-${id()}@example.com`;
  const { registrationResponse } = await call(base, 'POST', '/auth/signup/start', undefined, {
    email,
    registrationRequest: start.registrationRequest,
  });
  const finish = opaque.client.finishRegistration({
    clientRegistrationState: start.clientRegistrationState,
    registrationResponse,
    password,
    keyStretching: 'memory-constrained',
  });
  const rootNodeId = id();
  const k = () => key32() + key32();
  const answer = await call(base, 'POST', '/auth/signup/finish', undefined, {
    email,
    userId: id(),
    registrationRecord: finish.registrationRecord,
    keys: {
      wrappedMasterKey: k(),
      wrappedMasterKeyRecovery: k(),
      recoveryAuthKey: key32(),
      rootNodeId,
      rootWrappedKey: k(),
      publicEncryptionKey: k(),
      publicSigningKey: k(),
      wrappedEncryptionPrivateKey: k(),
      wrappedSigningPrivateKey: k(),
      publicKeysSignature: k(),
    },
  });
  return { token: answer.session.token, userId: answer.userId, rootNodeId };
}

const partBytes = randomBytes(8 * MiB);
const digests = new Map();
function digestsOf(bytes) {
  const known = digests.get(bytes.byteLength);
  if (known) return known;
  const d = {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    md5: createHash('md5').update(bytes).digest('base64'),
  };
  digests.set(bytes.byteLength, d);
  return d;
}

/** Uploads one file of `size` bytes (all parts the same random 8 MiB) through `base`. */
async function uploadFile(base, account, size) {
  const { upload } = await call(base, 'POST', '/uploads', account.token, { sizeBytes: size });
  for (let n = 1; n <= upload.partCount; n++) {
    const bytes = partBytes.subarray(
      0,
      Math.min(upload.partSizeBytes, size - (n - 1) * upload.partSizeBytes),
    );
    if (upload.partTransfer === 'direct') {
      const { target } = await call(
        base,
        'POST',
        `/uploads/${upload.id}/parts/${n}/target`,
        account.token,
        digestsOf(bytes),
      );
      const res = await fetch(target.url, { method: 'PUT', headers: target.headers, body: bytes });
      if (!res.ok) throw new Error(`direct PUT ${res.status}`);
      await res.arrayBuffer();
    } else {
      const res = await fetch(`${base}/uploads/${upload.id}/parts/${n}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${account.token}`, 'content-type': 'application/octet-stream' },
        body: bytes,
      });
      if (!res.ok) throw new Error(`PUT part ${res.status}`);
      await res.arrayBuffer();
    }
  }
  const { node } = await call(base, 'POST', `/uploads/${upload.id}/complete`, account.token, {
    kind: 'new-file',
    node: {
      id: id(),
      parentId: account.rootNodeId,
      wrappedKey: 'AAAA',
      encryptedAttrs: 'AAAA',
      nameHash: key32(),
    },
    version: { id: id(), wrappedKey: 'AAAA', encryptedAttrs: 'AAAA' },
  });
  return node.currentVersion.id;
}

async function drain(res) {
  let n = 0;
  for await (const chunk of res.body) n += chunk.byteLength;
  return n;
}

async function downloadFile(base, token, versionId, direct) {
  if (direct) {
    const { location } = await call(base, 'GET', `/versions/${versionId}/location`, token);
    return drain(await fetch(location.url));
  }
  return drain(
    await fetch(`${base}/versions/${versionId}/content`, { headers: { authorization: `Bearer ${token}` } }),
  );
}

// ---------------------------------------------------------------------------------------------
// 1. Throughput.

async function throughput(serverCount, transfers) {
  const databaseUrl = await newDatabase();
  const env = {
    ...s3Env(`hoard-bench-${randomBytes(5).toString('hex')}`),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    HOARD_S3_TRANSFERS: transfers,
  };
  const servers = [];
  for (let i = 0; i < serverCount; i++) servers.push(await startServer(env));
  const account = await signUp(servers[0].url);
  const files = 8;
  const fileBytes = Math.max(1, Math.floor((sizeMiB * MiB) / files));
  let started = performance.now();
  const versions = await Promise.all(
    Array.from({ length: files }, (_, i) => uploadFile(servers[i % serverCount].url, account, fileBytes)),
  );
  const upMs = performance.now() - started;
  started = performance.now();
  const got = await Promise.all(
    versions.map((v, i) =>
      downloadFile(servers[i % serverCount].url, account.token, v, transfers === 'direct'),
    ),
  );
  const downMs = performance.now() - started;
  const total = files * fileBytes;
  if (got.some((n) => n !== fileBytes)) throw new Error('a download came back short');
  const rss = servers.map((s) => rssMiB(s.pid).toFixed(0)).join('+');
  for (const s of servers) await s.stop();
  return { up: Number(mbps(total, upMs)), down: Number(mbps(total, downMs)), rss };
}

// ---------------------------------------------------------------------------------------------
// 2. Metadata ops/s.

async function metadata(label, env) {
  const server = await startServer(env);
  const account = await signUp(server.url);
  const auth = { authorization: `Bearer ${account.token}`, 'content-type': 'application/json' };
  // A folder of 100 children to list.
  const listed = id();
  await call(server.url, 'POST', '/nodes', account.token, {
    id: listed,
    parentId: account.rootNodeId,
    type: 'folder',
    wrappedKey: 'AAAA',
    encryptedAttrs: 'AAAA',
    nameHash: key32(),
  });
  for (let i = 0; i < 100; i++) {
    await call(server.url, 'POST', '/nodes', account.token, {
      id: id(),
      parentId: listed,
      type: 'folder',
      wrappedKey: 'AAAA',
      encryptedAttrs: 'AAAA',
      nameHash: key32(),
    });
  }
  const cannon = (opts) =>
    new Promise((resolve, reject) =>
      autocannon({ url: server.url, connections: 16, duration, ...opts }, (err, result) =>
        err ? reject(err) : resolve(result),
      ),
    );
  const list = await cannon({
    requests: [{ method: 'GET', path: `/nodes/${listed}/children`, headers: auth }],
  });
  const mkdir = await cannon({
    requests: [
      {
        method: 'POST',
        path: '/nodes',
        headers: auth,
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({
            id: id(),
            parentId: account.rootNodeId,
            type: 'folder',
            wrappedKey: 'AAAA',
            encryptedAttrs: 'AAAA',
            nameHash: key32(),
          }),
        }),
      },
    ],
  });
  // Moves need each node's current revision: 16 closed loops, each moving its own node back and forth.
  const [a, b] = [id(), id()];
  for (const f of [a, b])
    await call(server.url, 'POST', '/nodes', account.token, {
      id: f,
      parentId: account.rootNodeId,
      type: 'folder',
      wrappedKey: 'AAAA',
      encryptedAttrs: 'AAAA',
      nameHash: key32(),
    });
  let moves = 0;
  let moveErrors = 0;
  const until = performance.now() + duration * 1000;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      const nodeId = id();
      let node = (
        await call(server.url, 'POST', '/nodes', account.token, {
          id: nodeId,
          parentId: a,
          type: 'folder',
          wrappedKey: 'AAAA',
          encryptedAttrs: 'AAAA',
          nameHash: key32(),
        })
      ).node;
      while (performance.now() < until) {
        try {
          node = (
            await call(server.url, 'PATCH', `/nodes/${nodeId}`, account.token, {
              revision: node.revision,
              parentId: node.parentId === a ? b : a,
              wrappedKey: 'AAAA',
              nameHash: key32(),
            })
          ).node;
          moves++;
        } catch {
          moveErrors++;
        }
      }
    }),
  );
  const rss = rssMiB(server.pid).toFixed(0);
  await server.stop();
  const errs = (r) => r.errors + r.non2xx;
  return {
    label,
    list: `${r0(list.requests.average)} req/s (p99 ${list.latency.p99} ms, ${errs(list)} errors)`,
    mkdir: `${r0(mkdir.requests.average)} req/s (p99 ${mkdir.latency.p99} ms, ${errs(mkdir)} errors)`,
    move: `${r0(moves / duration)} req/s (${moveErrors} errors)`,
    rss,
  };
}
const r0 = (n) => Math.round(n);

// ---------------------------------------------------------------------------------------------
// 3. A folder of many nodes, 4. many concurrent range downloads.

async function bigFolderAndRanges() {
  const databaseUrl = await newDatabase();
  const env = {
    ...s3Env(`hoard-bench-${randomBytes(5).toString('hex')}`),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    HOARD_S3_TRANSFERS: 'proxy',
  };
  const server = await startServer(env);
  const account = await signUp(server.url);
  const folder = id();
  await call(server.url, 'POST', '/nodes', account.token, {
    id: folder,
    parentId: account.rootNodeId,
    type: 'folder',
    wrappedKey: 'AAAA',
    encryptedAttrs: 'AAAA',
    nameHash: key32(),
  });
  // Rows straight into PostgreSQL: what matters is the listing, not how the nodes got there.
  const now = Date.now();
  await pgRun(
    databaseUrl,
    `INSERT INTO nodes (id, user_id, parent_id, type, revision, wrapped_key, encrypted_attrs, name_hash, live_name,
       size_bytes, current_version_id, trashed_at, trashed_from_parent_id, created_at, updated_at)
     SELECT 'n' || lpad(g::text, 21, '0'), $1, $2, 'folder', 1, $3, $4, 'h' || g, 'h' || g, 0, NULL, NULL, NULL, $5, $5
     FROM generate_series(1, $6) AS g`,
    [account.userId, folder, key32() + key32(), randomBytes(96).toString('base64url'), now, folderNodes],
  );
  await pgRun(databaseUrl, 'ANALYZE nodes');
  const times = [];
  const serverTimes = [];
  let count = 0;
  let pages = 0;
  /** The server's own time for the listing route (its request-duration histogram), in ms. */
  const serverSeconds = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const m =
      /http_request_duration_seconds_sum\{[^}]*route="\/nodes\/:id\/children"[^}]*\} ([\d.e+-]+)/.exec(text);
    return m ? Number(m[1]) : 0;
  };
  for (let i = 0; i < 3; i++) {
    const before = await serverSeconds();
    const started = performance.now();
    // The whole folder, a page (at most 5,000 nodes) at a time, as the SDK reads it.
    count = 0;
    pages = 0;
    let after = null;
    do {
      const query = after === null ? '' : `?after=${after}`;
      const answer = await call(server.url, 'GET', `/nodes/${folder}/children${query}`, account.token);
      count += answer.nodes.length;
      pages++;
      after = answer.next;
    } while (after !== null);
    times.push(performance.now() - started);
    serverTimes.push((await serverSeconds()) - before);
  }

  const fileBytes = 32 * MiB;
  const versionId = await uploadFile(server.url, account, fileBytes);
  const rssBefore = rssMiB(server.pid, 'VmRSS');
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(server.pid, 'VmRSS'))), 50);
  const started = performance.now();
  const window = 256 * 1024;
  const results = await Promise.allSettled(
    Array.from({ length: rangeCount }, async () => {
      const start = Math.floor(Math.random() * (fileBytes - window));
      const res = await fetch(`${server.url}/versions/${versionId}/content`, {
        headers: { authorization: `Bearer ${account.token}`, range: `bytes=${start}-${start + window - 1}` },
      });
      if (res.status !== 206) throw new Error(`status ${res.status}`);
      const n = await drain(res);
      if (n !== window) throw new Error('short range');
    }),
  );
  const rangesMs = performance.now() - started;
  clearInterval(sampler);
  const failed = results.filter((r) => r.status === 'rejected');
  const hwm = rssMiB(server.pid);
  await server.stop();
  return {
    listing: `${count} nodes in ${pages} pages: server ${serverTimes.map((t) => (t * 1000).toFixed(0)).join(' / ')} ms, round trip with JSON parse ${times.map((t) => t.toFixed(0)).join(' / ')} ms (3 runs)`,
    ranges: `${rangeCount} concurrent 256 KiB ranges: ${failed.length} errors${failed[0] ? ` (${failed[0].reason})` : ''}, ${rangesMs.toFixed(0)} ms in all, ${mbps(rangeCount * window, rangesMs)} MB/s`,
    rss: `server RSS ${rssBefore.toFixed(0)} MiB before, ${peak.toFixed(0)} MiB peak under the ranges, VmHWM ${hwm.toFixed(0)} MiB`,
  };
}

// ---------------------------------------------------------------------------------------------

try {
  console.log(
    `fleet bench: ${sizeMiB} MiB per throughput run (8 files in parallel), S3 ${process.env.S3_ENDPOINT}, ${adminUrl.replace(/\/\/[^@]*@/, '//')}`,
  );
  if (runs('1')) console.log('\n1. throughput (MB/s), PostgreSQL + Ceph RGW + Redis');
  for (const transfers of runs('1') ? ['direct', 'proxy'] : []) {
    const one = await throughput(1, transfers);
    const two = await throughput(2, transfers);
    console.log(
      `  ${transfers.padEnd(6)}  1 server: up ${one.up}, down ${one.down} (RSS ${one.rss} MiB)   2 servers: up ${two.up}, down ${two.down} (RSS ${two.rss} MiB)   2/1: up ${(two.up / one.up).toFixed(2)}x, down ${(two.down / one.down).toFixed(2)}x`,
    );
  }
  if (runs('2')) console.log(`\n2. metadata ops/s (autocannon, 16 connections, ${duration} s each)`);
  for (const [label, env] of !runs('2')
    ? []
    : [
        ['SQLite', {}],
        ['PostgreSQL', { DATABASE_URL: await newDatabase() }],
      ]) {
    const m = await metadata(label, env);
    console.log(
      `  ${label.padEnd(10)}  list(100): ${m.list}; mkdir: ${m.mkdir}; move: ${m.move}; RSS ${m.rss} MiB`,
    );
  }
  if (runs('3')) {
    console.log('\n3./4. one big folder and concurrent ranges (PostgreSQL + Ceph RGW, proxy transfers)');
    const big = await bigFolderAndRanges();
    console.log(`  listing ${big.listing}\n  ${big.ranges}\n  ${big.rss}`);
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  if (cephDir) execFileSync(cephTool, ['down', cephDir]);
  rmSync(work, { recursive: true, force: true });
}
