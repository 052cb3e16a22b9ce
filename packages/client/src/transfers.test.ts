// Uploads and downloads against an in-memory fake of the server's routes: parts that do not align
// with chunks, parallelism, retries, resume, a changed source starting over, ranges, reconnects.
import { randomId, randomKey, toB64u, webCryptoAead, wrapKey, type Aead } from '@hoard/crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { Downloader, OpenedVersionCache } from './downloader.js';
import { HttpClient, type FetchLike } from './http-client.js';
import { MemoryResumeStore } from './resume-store.js';
import { FakeServer } from './testing/fake-server.js';
import { Tree, type RemoteEntry } from './tree.js';
import { Uploader, type UploadSource } from './uploader.js';

const PART = 100_000; // deliberately not a multiple of the 16400-byte sealed chunk

function randomData(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

function memorySource(bytes: Uint8Array, mtimeMs = 1_700_000_000_000): UploadSource & { reads: number } {
  const source = {
    sizeBytes: bytes.length,
    mtimeMs,
    reads: 0,
    read(offset: number, length: number) {
      source.reads++;
      return Promise.resolve(bytes.slice(offset, offset + length));
    },
  };
  return source;
}

/** Byte equality without vitest's element-by-element diff (slow on megabytes). */
function expectBytes(actual: Uint8Array, expected: Uint8Array, label?: string): void {
  expect(actual.length, label).toBe(expected.length);
  expect(Buffer.from(actual).equals(Buffer.from(expected)), label).toBe(true);
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

describe('transfers', () => {
  let server: FakeServer;
  let tree: Tree;
  let uploader: Uploader;
  let downloader: Downloader;
  let root: RemoteEntry;
  const noWait = { sleep: () => Promise.resolve() };

  beforeEach(async () => {
    server = new FakeServer({ partSizeBytes: PART });
    const masterKey = randomKey();
    const rootId = randomId();
    server.addRoot(rootId, toB64u(await wrapKey(masterKey, randomKey(), 'node-key', rootId)));
    const http = new HttpClient({ baseUrl: 'http://fake.test', fetch: server.fetch });
    tree = new Tree(http, masterKey, rootId);
    uploader = new Uploader(http, tree, masterKey, {});
    downloader = new Downloader(http, {});
    root = await tree.root();
  });

  async function download(path: string, range?: { start: number; end: number }): Promise<Uint8Array> {
    const file = await tree.get(path);
    return readAll(await downloader.download(await tree.currentVersion(file), range ? { range } : {}));
  }

  it.each([0, 1, 16383, 16384, 16385, 3 * 16384, 450_123])('round-trips a %i-byte file', async (size) => {
    const data = randomData(size);
    const { entry } = await uploader.upload(root, memorySource(data), { name: `f${size}.bin` });
    expect(entry).toMatchObject({
      name: `f${size}.bin`,
      type: 'file',
      sizeBytes: size,
      path: `/f${size}.bin`,
    });
    expectBytes(await download(`/f${size}.bin`), data);
  });

  it('never lets the server see plaintext or the name', async () => {
    const marker = new TextEncoder().encode('PLAINTEXT-MARKER-'.repeat(2000));
    await uploader.upload(root, memorySource(marker), { name: 'secret-name.txt' });
    const hay = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
    for (const blob of server.blobs.values()) expect(hay(blob)).not.toContain('PLAINTEXT-MARKER');
    expect(JSON.stringify([...server.nodes.values()])).not.toContain('secret-name');
  });

  it('sends at most 4 parts at once and reports progress up to the total', async () => {
    const data = randomData(9 * PART);
    const seen: number[] = [];
    await uploader.upload(root, memorySource(data), {
      name: 'big',
      onProgress: ({ doneBytes, totalBytes }) => seen.push(doneBytes / totalBytes),
    });
    expect(seen.at(-1)).toBe(1);
    expectBytes(await download('/big'), data);
  });

  it('retries a part whose request failed on the network', async () => {
    server.failNextPuts = 2;
    const data = randomData(3 * PART);
    await uploader.upload(root, memorySource(data), { name: 'flaky', retry: noWait });
    expectBytes(await download('/flaky'), data);
  });

  it('resumes from the parts already on the server, re-encrypting the rest identically', async () => {
    const data = randomData(8 * PART + 1234);
    const store = new MemoryResumeStore();
    server.stallAfterPuts = 3;
    const abort = new AbortController();
    const first = uploader.upload(root, memorySource(data), {
      name: 'resumed.bin',
      resumeStore: store,
      resumeKey: 'k',
      concurrency: 2,
      signal: abort.signal,
    });
    while ([...server.uploads.values()].reduce((n, u) => n + u.parts.size, 0) < 3) {
      await new Promise((r) => setTimeout(r, 5));
    }
    abort.abort(new Error('interrupted'));
    await expect(first).rejects.toThrow();
    const uploadId = [...server.uploads.keys()][0]!;
    const landedBefore = server.uploads.get(uploadId)!.parts.size;
    server.stallAfterPuts = Infinity;

    let resumed: { landedParts: number; partCount: number } | undefined;
    const result = await uploader.upload(root, memorySource(data), {
      name: 'resumed.bin',
      resumeStore: store,
      resumeKey: 'k',
      onResume: (info) => (resumed = info),
    });
    expect(resumed).toEqual({ landedParts: landedBefore, partCount: 9 });
    expect(landedBefore).toBeGreaterThanOrEqual(3);
    expect(result.resumedParts).toBe(landedBefore);
    expect(server.uploads.size).toBe(1);
    expect(server.uploads.get(uploadId)?.state).toBe('completed');
    expectBytes(await download('/resumed.bin'), data);
    expect(await store.get('k')).toBeUndefined();
  });

  it('starts over with a fresh key and upload when the source changed since the first attempt', async () => {
    const data = randomData(5 * PART);
    const store = new MemoryResumeStore();
    server.stallAfterPuts = 2;
    const abort = new AbortController();
    const first = uploader.upload(root, memorySource(data), {
      name: 'changed.bin',
      resumeStore: store,
      resumeKey: 'k',
      concurrency: 1,
      signal: abort.signal,
    });
    while ([...server.uploads.values()].reduce((n, u) => n + u.parts.size, 0) < 2) {
      await new Promise((r) => setTimeout(r, 5));
    }
    abort.abort(new Error('interrupted'));
    await expect(first).rejects.toThrow();
    server.stallAfterPuts = Infinity;
    const firstRecord = (await store.get('k'))!;

    const changed = data.slice();
    changed[10] = changed[10]! ^ 1; // same size, same mtime: only the part hash tells
    const restarts: string[] = [];
    await uploader.upload(root, memorySource(changed), {
      name: 'changed.bin',
      resumeStore: store,
      resumeKey: 'k',
      onRestart: (reason) => restarts.push(reason),
      onResume: () => expect.unreachable('must not resume over changed plaintext'),
    });
    expect(restarts).toHaveLength(1);
    expect(server.uploads.has(firstRecord.uploadId)).toBe(false);
    const file = await tree.get('/changed.bin');
    expect(file.node.currentVersion?.id).not.toBe(firstRecord.versionId);
    expectBytes(await download('/changed.bin'), changed);
  });

  it('starts over when the size or mtime of the source changed', async () => {
    const store = new MemoryResumeStore();
    const data = randomData(2 * PART);
    server.stallAfterPuts = 1;
    const abort = new AbortController();
    const first = uploader.upload(root, memorySource(data, 1), {
      name: 'm',
      resumeStore: store,
      resumeKey: 'k',
      concurrency: 1,
      signal: abort.signal,
    });
    while ([...server.uploads.values()].reduce((n, u) => n + u.parts.size, 0) < 1)
      await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    await expect(first).rejects.toThrow();
    server.stallAfterPuts = Infinity;
    const restarts: string[] = [];
    await uploader.upload(root, memorySource(data, 2), {
      name: 'm',
      resumeStore: store,
      resumeKey: 'k',
      onRestart: (r) => restarts.push(r),
    });
    expect(restarts[0]).toMatch(/changed/);
    expectBytes(await download('/m'), data);
  });

  it('keeps the version key wrapped, never raw, in the resume record', async () => {
    const store = new MemoryResumeStore();
    server.stallAfterPuts = 0;
    const abort = new AbortController();
    const pending = uploader.upload(root, memorySource(randomData(1000)), {
      name: 'w',
      resumeStore: store,
      resumeKey: 'k',
      signal: abort.signal,
    });
    while (!(await store.get('k'))?.partPlainSha256Hex['1']) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    await expect(pending).rejects.toThrow();
    const record = (await store.get('k'))!;
    expect(record.wrappedVersionKeyB64u.length).toBeGreaterThan(43); // 61 bytes wrapped, not a 32-byte key
  });

  it('uploads over an existing name as a new version and lists the old one', async () => {
    const v1 = randomData(1000);
    const v2 = randomData(2000);
    await uploader.upload(root, memorySource(v1), { name: 'doc' });
    const second = await uploader.upload(root, memorySource(v2), { name: 'doc' });
    expect(second.newVersion).toBe(true);
    const file = await tree.get('/doc');
    const older = await tree.versions(file);
    expect(older.map((v) => v.sizeBytes)).toEqual([1000]);
    expectBytes(await readAll(await downloader.download(older[0]!)), v1);
    expectBytes(await download('/doc'), v2);
  });

  it('recovers from a stale "nothing there" hint by making a new version', async () => {
    await uploader.upload(root, memorySource(randomData(10)), { name: 'hinted' });
    const second = await uploader.upload(root, memorySource(randomData(20)), {
      name: 'hinted',
      existing: null,
    });
    expect(second.newVersion).toBe(true);
    expect(second.entry.sizeBytes).toBe(20);
  });

  it('opens a version once for the ranges read through a cache, and never with another key', async () => {
    const a = randomData(5 * 16384 + 77);
    const b = randomData(3 * 16384);
    await uploader.upload(root, memorySource(a), { name: 'a' });
    await uploader.upload(root, memorySource(b), { name: 'b' });
    const versionA = await tree.currentVersion(await tree.get('/a'));
    const versionB = await tree.currentVersion(await tree.get('/b'));
    const asked: string[] = [];
    const http = new HttpClient({
      baseUrl: 'http://fake.test',
      fetch: (input, init) => {
        asked.push(`${new URL(input).pathname} ${new Headers(init?.headers).get('range') ?? ''}`);
        return server.fetch(input, init);
      },
    });
    const counting = new Downloader(http, {});
    const cache = new OpenedVersionCache(2);
    const read = async (version: typeof versionA, start: number, end: number) => {
      asked.length = 0;
      const bytes = await readAll(await counting.download(version, { range: { start, end }, cache }));
      return { bytes, requests: asked.length };
    };
    // The first range opens the version: where it is read, its header, then the chunks.
    let got = await read(versionA, 40_000, 50_000);
    expectBytes(got.bytes, a.subarray(40_000, 50_000));
    expect(got.requests).toBe(3);
    // A seek elsewhere in the same version costs the chunks alone.
    got = await read(versionA, 70_000, a.length);
    expectBytes(got.bytes, a.subarray(70_000));
    expect(got.requests).toBe(1);
    // Another version is opened on its own, and so is the same one under another key.
    got = await read(versionB, 0, 10);
    expectBytes(got.bytes, b.subarray(0, 10));
    expect(got.requests).toBe(3);
    const wrongKey = { ...versionA, key: randomKey() };
    await expect(read(wrongKey, 0, 10)).rejects.toThrow();
    expect(cache.size).toBe(1); // a version that failed to open is not kept (nor A: replaced)
    got = await read(versionA, 0, 10);
    expectBytes(got.bytes, a.subarray(0, 10));
    expect(got.requests).toBe(3);
    // Beyond its capacity the least recently used version goes; a forgotten key goes at once.
    await read(versionB, 0, 10);
    await read(versionA, 0, 10);
    expect(asked.length).toBe(1);
    cache.forget(versionA.key);
    expect(cache.size).toBe(1);
    expect((await read(versionA, 0, 10)).requests).toBe(3);
    expect((await read(versionB, 0, 10)).requests).toBe(1);
    const c = await uploader.upload(root, memorySource(randomData(10)), { name: 'c' });
    await read(await tree.currentVersion(c.entry), 0, 10);
    expect(cache.size).toBe(2);
    expect((await read(versionA, 0, 10)).requests).toBe(3); // A was the least recently used
  });

  it('downloads any plaintext range, across chunk and part boundaries', async () => {
    const size = 5 * 16384 + 77;
    const data = randomData(size);
    await uploader.upload(root, memorySource(data), { name: 'r' });
    const ranges: [number, number][] = [
      [0, 1],
      [16383, 16385],
      [16384, 16384 * 2],
      [1000, size],
      [size - 1, size],
      [size, size],
      [40000, 40000],
      [0, size],
    ];
    for (const [start, end] of ranges) {
      expectBytes(await download('/r', { start, end }), data.slice(start, end), `${start}-${end}`);
    }
  });

  it('reconnects and continues when the content stream breaks off', async () => {
    const data = randomData(300_000);
    await uploader.upload(root, memorySource(data), { name: 'broken' });
    server.breakContentAfterBytes = 50_000;
    expectBytes(await download('/broken'), data);
  });

  it('still downloads a range from a server that ignores Range and sends everything', async () => {
    const data = randomData(100_000);
    await uploader.upload(root, memorySource(data), { name: 'norange' });
    server.ignoreRange = true;
    expectBytes(await download('/norange', { start: 40_000, end: 60_000 }), data.slice(40_000, 60_000));
    expectBytes(await download('/norange'), data);
  });

  it('rejects content whose ciphertext was tampered with', async () => {
    const data = randomData(50_000);
    await uploader.upload(root, memorySource(data), { name: 't' });
    const blob = [...server.blobs.values()][0]!;
    blob[30_000] = blob[30_000]! ^ 1;
    await expect(download('/t')).rejects.toThrow(/decrypt|DecryptionError/i);
  });
});

/**
 * The fake server's fetch, but content bodies arrive in pieces of `sizes` bytes (cycled; Infinity:
 * the whole rest). Every piece is a fresh array, recorded in `delivered`; when a body breaks off,
 * the pieces it delivered are overwritten (as memory nobody may read any more), so a downloader
 * that kept views of them past the break decrypts garbage.
 */
function piecewise(fetch: FetchLike, sizes: number[], delivered = new Set<ArrayBufferLike>()): FetchLike {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (!/\/content$/.test(new URL(input).pathname) || !response.body) return response;
    const source = response.body.getReader();
    const mine: Uint8Array[] = [];
    let pending = new Uint8Array(0);
    let next = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const size = sizes[next++ % sizes.length]!;
        try {
          while (pending.length < size) {
            const { done, value } = await source.read();
            if (done) break;
            const joined = new Uint8Array(pending.length + value.length);
            joined.set(pending);
            joined.set(value, pending.length);
            pending = joined;
          }
        } catch (error) {
          for (const piece of mine) piece.fill(0);
          throw error;
        }
        if (pending.length === 0) {
          controller.close();
          return;
        }
        const piece = pending.slice(0, size);
        pending = pending.slice(piece.length);
        mine.push(piece);
        delivered.add(piece.buffer);
        controller.enqueue(piece);
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
}

/** WebCrypto, recording every sealed chunk it is given. */
function recordingAead(inputs: Uint8Array[]): Aead {
  return {
    async importKey(raw) {
      const key = await webCryptoAead.importKey(raw);
      return {
        copiesInput: true,
        encrypt: (nonce, plaintext, aad) => key.encrypt(nonce, plaintext, aad),
        decrypt: (nonce, sealed, aad) => {
          inputs.push(sealed);
          return key.decrypt(nonce, sealed, aad);
        },
      };
    },
  };
}

/**
 * WebCrypto behind a batch call that reads its inputs a tick later and detaches the buffer they
 * share, as a worker pool that is handed the batch by transfer: it does not promise copiesInput.
 */
function transferringAead(): Aead {
  return {
    async importKey(raw) {
      const key = await webCryptoAead.importKey(raw);
      return {
        encrypt: (nonce, plaintext, aad) => key.encrypt(nonce, plaintext, aad),
        decrypt: (nonce, sealed, aad) => key.decrypt(nonce, sealed, aad),
        async decryptMany(items) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          const copies = items.map(({ nonce, bytes }) => ({ nonce: nonce.slice(), bytes: bytes.slice() }));
          const buffers = new Set(items.map(({ bytes }) => bytes.buffer));
          if (buffers.size !== 1) throw new Error('a batch spread over several buffers');
          structuredClone(buffers, { transfer: [...buffers] as ArrayBuffer[] });
          return Promise.all(copies.map(({ nonce, bytes }) => key.decrypt(nonce, bytes)));
        },
      };
    },
  };
}

describe('downloads over a connection that delivers odd pieces', () => {
  const MiB = 1024 * 1024;
  let server: FakeServer;
  let tree: Tree;
  let uploader: Uploader;
  let http: HttpClient;
  let root: RemoteEntry;
  let delivered: Set<ArrayBufferLike>;
  let pieceSizes: number[];

  beforeEach(async () => {
    server = new FakeServer({ partSizeBytes: PART });
    const masterKey = randomKey();
    const rootId = randomId();
    server.addRoot(rootId, toB64u(await wrapKey(masterKey, randomKey(), 'node-key', rootId)));
    delivered = new Set();
    pieceSizes = [Infinity];
    http = new HttpClient({
      baseUrl: 'http://fake.test',
      fetch: (input, init) => piecewise(server.fetch, pieceSizes, delivered)(input, init),
    });
    tree = new Tree(http, masterKey, rootId);
    uploader = new Uploader(http, tree, masterKey, {});
    root = await tree.root();
  });

  async function upload(name: string, size: number): Promise<Uint8Array> {
    const data = randomData(size);
    await uploader.upload(root, memorySource(data), { name });
    return data;
  }

  async function download(
    name: string,
    range?: { start: number; end: number },
    downloader = new Downloader(http, {}),
  ): Promise<Uint8Array> {
    const version = await tree.currentVersion(await tree.get(`/${name}`));
    return readAll(await downloader.download(version, range ? { range } : {}));
  }

  it.each([
    ['1 byte', [1], 40_000],
    ['16 KiB + 7 bytes', [16384 + 7], 2.5 * MiB],
    ['the whole body', [Infinity], 2.5 * MiB],
    ['mixed sizes', [3, 3 * 16400 + 7, 16399, 16401, 1, 200_000], 2.5 * MiB + 5],
  ])('reads the same bytes, ranges included, from pieces of %s', async (_, sizes, size) => {
    const data = await upload('f', size);
    pieceSizes = sizes;
    expectBytes(await download('f'), data, 'whole');
    for (const [start, end] of [
      [1, size - 1],
      [16383, Math.min(size, 16384 * 70 + 3)],
      [size - 20_000, size],
    ] as const) {
      expectBytes(await download('f', { start, end }), data.slice(start, end), `${start}-${end}`);
    }
  });

  it('decrypts WebCrypto input in place: only chunks that straddle two pieces are copied', async () => {
    const data = await upload('f', 2 * MiB);
    pieceSizes = [3 * 16400 + 7];
    const inputs: Uint8Array[] = [];
    expectBytes(await download('f', undefined, new Downloader(http, { aead: recordingAead(inputs) })), data);
    const inPlace = inputs.filter((sealed) => delivered.has(sealed.buffer)).length;
    // Of every three chunks, the two that lie inside one 49207-byte piece.
    expect(inputs.length).toBe(129);
    expect(inPlace).toBeGreaterThanOrEqual(80);
    expect(inPlace).toBeLessThan(inputs.length);
  });

  it('gives a backend without copiesInput batch buffers of its own, which it may detach', async () => {
    const data = await upload('f', 3 * MiB + 11);
    pieceSizes = [5 * 16400 + 3, 100];
    expectBytes(await download('f', undefined, new Downloader(http, { aead: transferringAead() })), data);
  });

  it.each([
    ['WebCrypto', (): Aead => webCryptoAead],
    ['a transferring backend', transferringAead],
  ])('restarts at the batch after a break mid-batch, not reading the broken pieces (%s)', async (_, aead) => {
    const data = await upload('f', 3 * MiB);
    pieceSizes = [16384 + 7, 1000];
    // Mid-chunk, in the second batch (which starts at byte 56 + 64 * 16400).
    server.breakContentAfterBytes = 64 * 16400 + 20 * 16400 + 123;
    expectBytes(await download('f', undefined, new Downloader(http, { aead: aead() })), data);
    expect(server.breakContentAfterBytes).toBeUndefined();
  });

  it('reads a range from pieces of a server that ignores Range', async () => {
    const data = await upload('f', 2 * MiB);
    pieceSizes = [16384 + 7];
    server.ignoreRange = true;
    const [start, end] = [MiB + 5, 2 * MiB - 3];
    expectBytes(await download('f', { start, end }), data.slice(start, end));
  });

  it('releases no plaintext of a batch in which one chunk was tampered with', async () => {
    const data = await upload('f', 3 * MiB);
    pieceSizes = [16384 + 7];
    // Chunk 70: in the second batch (chunks 64..127), after six good chunks of it.
    const blob = [...server.blobs.values()][0]!;
    const at = 56 + 70 * 16400 + 5;
    blob[at] = blob[at]! ^ 1;
    const version = await tree.currentVersion(await tree.get('/f'));
    const reader = (await new Downloader(http, {}).download(version)).getReader();
    const received: Uint8Array[] = [];
    let failure: unknown;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received.push(value);
      }
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).toMatch(/decrypt|DecryptionError/i);
    const got = Buffer.concat(received);
    expect(got.length).toBeLessThanOrEqual(64 * 16384);
    expectBytes(got, data.slice(0, got.length));
  });
});

describe('the tree', () => {
  let server: FakeServer;
  let tree: Tree;
  let root: RemoteEntry;
  let masterKey: Uint8Array;

  beforeEach(async () => {
    server = new FakeServer({ partSizeBytes: PART });
    masterKey = randomKey();
    const rootId = randomId();
    server.addRoot(rootId, toB64u(await wrapKey(masterKey, randomKey(), 'node-key', rootId)));
    tree = new Tree(new HttpClient({ baseUrl: 'http://fake.test', fetch: server.fetch }), masterKey, rootId);
    root = await tree.root();
  });

  it('creates nested folders with -p, idempotently, and resolves paths', async () => {
    const c = await tree.mkdir('/a/b/c', { parents: true });
    expect(c.path).toBe('/a/b/c');
    expect((await tree.mkdir('/a/b/c', { parents: true })).id).toBe(c.id);
    expect((await tree.get('/a/b/c')).id).toBe(c.id);
    expect(await tree.find('/a/x')).toBeUndefined();
    await expect(tree.mkdir('/a/b/c')).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    await expect(tree.mkdir('/q/r')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('moves a folder under another, re-wrapping its key so it stays readable', async () => {
    await tree.mkdir('/src/inner', { parents: true });
    const dst = await tree.mkdir('/dst', { parents: true });
    await tree.move(await tree.get('/src'), dst, 'renamed');
    expect((await tree.get('/dst/renamed/inner')).path).toBe('/dst/renamed/inner');
    expect(await tree.find('/src')).toBeUndefined();
  });

  it('lists a folder of many pages whole, and finds a name in it with one request', async () => {
    const names = Array.from({ length: 11 }, (_, i) => `entry-${String(i).padStart(2, '0')}`);
    const folder = await tree.mkdir('/many', { parents: true });
    for (const name of names) await tree.mkdir(`/many/${name}`);
    // The fake answers 3 children a page: the listing followed `next` to the end, in name order.
    expect((await tree.list(folder)).entries.map((e) => e.name)).toEqual(names);
    const seen: string[] = [];
    const counted = new Tree(
      new HttpClient({
        baseUrl: 'http://fake.test',
        fetch: (input: string, init?: RequestInit) => {
          seen.push(input);
          return server.fetch(input, init);
        },
      }),
      masterKey,
      root.id,
    );
    expect((await counted.findChild(folder, 'entry-07'))?.path).toBe('/many/entry-07');
    expect(await counted.findChild(folder, 'entry-99')).toBeUndefined();
    // Each lookup was one request by name hash, never a walk through the pages.
    expect(seen).toHaveLength(2);
    expect(seen.every((url) => /\/children\?nameHash=/.test(url))).toBe(true);
  });

  it('renames in place', async () => {
    const a = await tree.mkdir('/a', { parents: true });
    await tree.rename(a, root, 'b');
    expect((await tree.list(root)).entries.map((e) => e.name)).toEqual(['b']);
  });

  it('leaves out, and counts, a child whose attributes were crafted under a foreign key', async () => {
    await tree.mkdir('/ok', { parents: true });
    const forged = await tree.mkdir('/forged', { parents: true });
    server.nodes.get(forged.id)!.encryptedAttrs = toB64u(new Uint8Array(300));
    const listing = await tree.list(root);
    expect(listing.entries.map((e) => e.name)).toEqual(['ok']);
    expect(listing.unreadable).toBe(1);
  });

  it('lists a folder of more children than it opens at once: every readable one, sorted, the rest counted', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `n${String(149 - i).padStart(3, '0')}`);
    const made = [];
    for (const name of names) made.push(await tree.createFolder(root, name));
    for (const spoiled of [made[0]!, made[70]!, made[149]!]) {
      server.nodes.get(spoiled.id)!.encryptedAttrs = toB64u(new Uint8Array(300));
    }
    const listing = await tree.list(root);
    const expected = names.filter((_, i) => ![0, 70, 149].includes(i)).sort();
    expect(listing.entries.map((e) => e.name)).toEqual(expected);
    expect(listing.unreadable).toBe(3);
  });

  it('refuses a node whose name does not hash to the name hash it is indexed under', async () => {
    const a = await tree.mkdir('/a', { parents: true });
    const b = await tree.mkdir('/b', { parents: true });
    server.nodes.get(a.id)!.nameHash = server.nodes.get(b.id)!.nameHash + '';
    server.nodes.get(b.id)!.nameHash = 'x'.repeat(43);
    await expect(tree.get('/b')).rejects.toMatchObject({ code: 'UNREADABLE' });
  });
});
