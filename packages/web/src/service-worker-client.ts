// The page's side of the service worker: registers it, and hands it the files it may serve.
import type { ServiceWorkerCommand, StreamTarget } from './shared/messages';

let ready: Promise<ServiceWorker> | undefined;

/**
 * Files shown in the page (players, previews) stay registered: the browser stops an idle service
 * worker after about 30 s and its memory goes with it, so these are sent again every 20 s (which
 * also keeps it awake while a paused video waits for a seek).
 */
const shown = new Map<string, StreamTarget>();
let renewal: ReturnType<typeof setInterval> | undefined;

function renewShown(): void {
  if (shown.size === 0) {
    clearInterval(renewal);
    renewal = undefined;
    return;
  }
  for (const target of shown.values()) void send({ type: 'register', target }).catch(() => undefined);
}

/** The active service worker controlling this page (registers it on first use). */
export function serviceWorker(): Promise<ServiceWorker> {
  ready ??= (async () => {
    if (!('serviceWorker' in navigator)) throw new Error('this browser has no service workers');
    await navigator.serviceWorker.register('/sw.js', { scope: '/', type: 'module' });
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise<void>((resolve) =>
        navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }),
      );
    }
    return navigator.serviceWorker.controller!;
  })();
  return ready;
}

async function send(command: ServiceWorkerCommand): Promise<void> {
  const worker = await serviceWorker();
  const channel = new MessageChannel();
  const answered = new Promise<void>((resolve) => (channel.port1.onmessage = () => resolve()));
  worker.postMessage(command, [channel.port2]);
  await answered;
}

/** Lets the service worker serve `target` at the URL returned. */
export async function registerStream(target: StreamTarget): Promise<string> {
  await send({ type: 'register', target });
  if (target.kind === 'file' && target.disposition === 'inline') {
    shown.set(target.id, target);
    renewal ??= setInterval(renewShown, 20_000);
  }
  const name = target.kind === 'zip' ? `${target.name}.zip` : target.name;
  return `/sw/file/${target.id}/${encodeURIComponent(name)}`;
}

export async function releaseStream(id: string): Promise<void> {
  shown.delete(id);
  await send({ type: 'release', id });
}

/**
 * Starts a browser download of `url` (served by the service worker straight to disk): a hidden
 * iframe navigates to it and the attachment disposition turns the navigation into a download
 * (Chromium hands an <a download> of a service-worker URL to its download manager, which bypasses
 * the worker).
 */
export function startDownload(url: string): void {
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.title = 'download';
  frame.src = url;
  document.body.append(frame);
  // The download has begun long before; the frame itself shows nothing.
  setTimeout(() => frame.remove(), 60_000);
}
