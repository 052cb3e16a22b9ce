// Serves the built web app (packages/web/dist) at `/`. The page is the trust base of end-to-end
// encryption, so what it is made of is pinned here: a strict Content-Security-Policy (scripts,
// styles, workers and connections from this origin only; no inline script; WebAssembly allowed
// for OPAQUE's Argon2id), no referrer ever (a link's key lives in the URL fragment), content-hashed
// assets cached for a year as immutable, and index.html, the service worker and anything unhashed
// revalidated on every load. It reads files from disk only: the server never imports web code and
// serves nothing when the app is not built. The app's own paths (and /l/<id>) fall back to
// index.html; they are listed here explicitly so the fallback never shadows an API route.
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from './config.js';

/** Where the root build puts the web app (the same from src/ and from dist/). */
export const defaultWebDir = join(import.meta.dirname, '..', '..', 'web', 'dist');

/** The app's client-side routes: index.html answers them. None is an API path (see routes.ts). */
export const webAppRoutes = [
  '/',
  '/login',
  '/signup',
  '/recover',
  '/settings',
  '/bin',
  '/shared',
  '/billing',
  '/files',
  '/files/*',
  '/l/*',
];

/**
 * Where the page may connect besides its own origin: the object store, when uploads and downloads
 * go straight to it through presigned URLs (fleet mode, HOARD_S3_TRANSFERS=direct).
 */
export function connectOriginsOf(config: Config): string[] {
  if (!config.s3 || config.s3Transfers !== 'direct') return [];
  if (config.s3.endpoint) {
    const url = new URL(config.s3.endpoint);
    // Virtual-hosted URLs put the bucket in the host name.
    return config.s3.forcePathStyle ? [url.origin] : [`${url.protocol}//${config.s3.bucket}.${url.host}`];
  }
  return [`https://${config.s3.bucket}.s3.${config.s3.region}.amazonaws.com`, 'https://s3.amazonaws.com'];
}

export function contentSecurityPolicy(connectOrigins: string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    "font-src 'self'",
    ["connect-src 'self'", ...connectOrigins].join(' '),
    "worker-src 'self'",
    "manifest-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join('; ');
}

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Headers every page and asset carries. */
function securityHeaders(reply: FastifyReply, csp: string): FastifyReply {
  return reply
    .header('content-security-policy', csp)
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), interest-cohort=()');
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/**
 * Registers the web app's files and routes when `webDir` holds a build (index.html); otherwise
 * registers nothing (the API works without the app).
 */
export function webApp(
  app: FastifyInstance,
  options: { webDir?: string | undefined; config: Config },
  done: () => void,
): void {
  registerWebApp(
    app,
    options.webDir ?? defaultWebDir,
    contentSecurityPolicy(connectOriginsOf(options.config)),
  );
  done();
}

function registerWebApp(app: FastifyInstance, webDir: string, csp: string): void {
  const indexPath = join(webDir, 'index.html');
  if (!existsSync(indexPath)) return;
  const indexHtml = readFileSync(indexPath);

  const sendIndex = (reply: FastifyReply) =>
    securityHeaders(reply, csp)
      .header('content-type', mimeTypes['.html'])
      .header('cache-control', 'no-cache')
      .send(indexHtml);
  for (const path of webAppRoutes) app.get(path, (_request, reply) => sendIndex(reply));

  // Every built file at its own path, known at start (no path from a request ever reaches the disk).
  for (const file of listFiles(webDir)) {
    const urlPath = '/' + relative(webDir, file).split(sep).join('/');
    if (urlPath === '/index.html') continue;
    // Vite names hashed files name-<hash>.ext under assets/; only those never change.
    const immutable = urlPath.startsWith('/assets/');
    const type = mimeTypes[extname(file)] ?? 'application/octet-stream';
    const sizeBytes = statSync(file).size;
    app.get(urlPath, (_request, reply) => {
      securityHeaders(reply, csp)
        .header('content-type', type)
        .header('content-length', sizeBytes)
        .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (urlPath === '/sw.js') void reply.header('service-worker-allowed', '/');
      return reply.send(createReadStream(file));
    });
  }
}
