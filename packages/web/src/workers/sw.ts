// The service worker: serves decrypted files at /sw/file/<id>/<name> as streams, so a download of
// any size goes straight to disk and a <video> or <audio> seeks anywhere. A Range request maps to
// the whole ciphertext chunks it overlaps (the client's Downloader fetches only those and trims
// them), so a seek near the end of a film fetches a few chunks near its end. The page registers
// each file (its version key included) by message; registrations live in this worker's memory
// only, never on disk, and the page renews them while it shows a player. Nothing else is
// intercepted: every other request goes to the network untouched.
import { Downloader, HttpClient, OpenedVersionCache } from '@hoard/client';
import type { FileTarget, ServiceWorkerCommand, StreamTarget, ZipTarget } from '../shared/messages';
import { zipStream } from '../lib/zip-stream';
import { parseRange } from '../lib/range';

const sw = self as unknown as ServiceWorkerGlobalScope;
const targets = new Map<string, StreamTarget>();
/** The most one answer to a player's Range request carries (see serve). */
const MEDIA_WINDOW_BYTES = 4 * 1024 * 1024;
/**
 * Files shown in a player, opened once (their content location, and the cipher from their header)
 * for all the Range requests a playback and its seeks make: each then costs one request to the
 * server instead of three. A few files at most, forgotten with their registration.
 */
const openedMedia = new OpenedVersionCache(4);

sw.addEventListener('install', () => {
  void sw.skipWaiting();
});
sw.addEventListener('activate', (event) => {
  event.waitUntil(sw.clients.claim());
});

sw.addEventListener('message', (event: ExtendableMessageEvent) => {
  const command = event.data as ServiceWorkerCommand;
  if (command.type === 'register') targets.set(command.target.id, command.target);
  else if (command.type === 'release') {
    const released = targets.get(command.id);
    targets.delete(command.id);
    if (released?.kind !== 'zip' && released?.version) openedMedia.forget(released.version.key);
  }
  event.ports[0]?.postMessage({ ok: true });
});

function contentDisposition(disposition: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function downloaderFor(target: StreamTarget): Downloader {
  const http = new HttpClient({
    baseUrl: target.serverUrl,
    ...(target.token ? { token: target.token } : {}),
  });
  const { grantPath } = target;
  return grantPath
    ? new Downloader(http, {}, (versionId) => `${grantPath}/versions/${versionId}/content`)
    : new Downloader(http, {});
}

/** A folder as one ZIP, each file decrypted as the archive reaches it. */
function serveZip(target: ZipTarget): Response {
  targets.delete(target.id);
  const downloader = downloaderFor(target);
  const body = zipStream(
    target.entries.map((entry) => ({
      path: entry.path,
      ...(entry.mtimeMs !== undefined ? { mtimeMs: entry.mtimeMs } : {}),
      ...(entry.version ? { open: () => downloader.download(entry.version!) } : {}),
    })),
  );
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'application/zip',
      'content-disposition': contentDisposition('attachment', `${target.name}.zip`),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

async function serve(request: Request, target: FileTarget): Promise<Response> {
  const size = target.version.sizeBytes;
  const downloader = downloaderFor(target);
  const headers = new Headers({
    'content-type': target.mime || 'application/octet-stream',
    'content-disposition': contentDisposition(target.disposition, target.name),
    'accept-ranges': 'bytes',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // A decrypted file is shown in the page's origin: it must not run script there.
    'content-security-policy':
      "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'",
  });
  const rangeHeader = request.headers.get('range');
  if (rangeHeader !== null) {
    const asked = parseRange(rangeHeader, size);
    if (!asked) {
      headers.set('content-range', `bytes */${size}`);
      return new Response(null, { status: 416, headers });
    }
    // A player asks for "bytes=X-" (everything from X on) and reads what it needs; answering with
    // at most one window lets it ask again where it really goes next, so a seek fetches chunks
    // near the seek target instead of streaming the rest of the file behind it.
    const range =
      target.disposition === 'inline'
        ? { start: asked.start, end: Math.min(asked.end, asked.start + MEDIA_WINDOW_BYTES) }
        : asked;
    const body = await downloader.download(target.version, {
      range,
      ...(target.disposition === 'inline' ? { cache: openedMedia } : {}),
    });
    headers.set('content-range', `bytes ${range.start}-${range.end - 1}/${size}`);
    headers.set('content-length', String(range.end - range.start));
    return new Response(body, { status: 206, headers });
  }
  const body = await downloader.download(target.version);
  headers.set('content-length', String(size));
  if (target.disposition === 'attachment') {
    // No request.signal: Chrome aborts the request of a navigation it turns into a download, and a
    // reader that goes away cancels the body stream (and with it the fetch) anyway.
    // A download is served once; its key is forgotten as soon as the stream is handed over.
    targets.delete(target.id);
  }
  return new Response(body, { status: 200, headers });
}

sw.addEventListener('fetch', (event: FetchEvent) => {
  const url = new URL(event.request.url);
  if (url.origin !== sw.location.origin || !url.pathname.startsWith('/sw/file/')) return;
  const id = url.pathname.split('/')[3] ?? '';
  const target = targets.get(id);
  event.respondWith(
    target
      ? (target.kind === 'zip' ? Promise.resolve(serveZip(target)) : serve(event.request, target)).catch(
          (error: unknown) =>
            new Response(
              `Hoard could not read this file: ${error instanceof Error ? error.message : 'error'}`,
              {
                status: 502,
                headers: { 'content-type': 'text/plain; charset=utf-8' },
              },
            ),
        )
      : Promise.resolve(
          new Response('This file link has expired: open the file again from Hoard.', {
            status: 404,
            headers: { 'content-type': 'text/plain; charset=utf-8' },
          }),
        ),
  );
});
