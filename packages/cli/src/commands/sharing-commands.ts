// Sharing commands: link, links, unlink, get URL (no account), report. A link's key is printed
// once by `hoard link` (and again by `hoard links`, rebuilt from the owner's wrapped copy); it is
// never written to HOARD_HOME. `hoard get URL` keeps `.NAME.hoard-partial` and a small JSON beside
// it (the download grant and version, no key), so an interrupted download resumes where it
// stopped without counting as a second download.

import { open, readFile, rename, rm, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  ApiError,
  ClientError,
  PublicLinkSession,
  parseLinkUrl,
  reportLink,
  type OwnedLink,
  type RemoteEntry,
} from '@hoard/client';
import { CHUNK_SIZE } from '@hoard/crypto';
import { ReportReason } from '@hoard/protocol';
import { CliError, type CliContext } from '../cli-context.js';
import { formatDate, formatTable } from '../format.js';
import { nodeAead } from '../node-aead.js';
import { nodeFetch } from '../node-fetch.js';

const DURATION = /^(\d{1,6})([mhdw])$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `7d`, `12h`, `30m`, `2w`, or a date (`2026-12-31`, ISO-8601); must lie in the future. */
export function parseExpiry(text: string, now = Date.now()): Date {
  const duration = DURATION.exec(text.trim());
  let when: number;
  if (duration) {
    when = now + Number(duration[1]) * UNIT_MS[duration[2]!]!;
  } else {
    when = Date.parse(text.trim());
    if (Number.isNaN(when)) {
      throw new CliError(
        `--expires takes a duration (30m, 12h, 7d, 2w) or a date (2026-12-31), not ${JSON.stringify(text)}`,
        2,
      );
    }
  }
  if (when <= now) throw new CliError(`--expires must lie in the future: ${text}`, 2);
  return new Date(when);
}

function parseMaxDownloads(text: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > 1_000_000_000) {
    throw new CliError(
      `--max-downloads takes a whole number from 1 to 1000000000, not ${JSON.stringify(text)}`,
      2,
    );
  }
  return Number(text);
}

async function newLinkPassword(ctx: CliContext): Promise<string> {
  const fromEnv = ctx.io.env.HOARD_LINK_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const first = await ctx.ask('Link password: ', true, 'HOARD_LINK_PASSWORD');
  if (first === '') throw new CliError('the link password may not be empty');
  const second = await ctx.ask('Link password again: ', true, 'HOARD_LINK_PASSWORD');
  if (first !== second) throw new CliError('the passwords do not match');
  return first;
}

export async function link(
  ctx: CliContext,
  path: string,
  options: { password?: boolean; expires?: string; maxDownloads?: string },
): Promise<void> {
  const expiresAt = options.expires === undefined ? undefined : parseExpiry(options.expires);
  const maxDownloads =
    options.maxDownloads === undefined ? undefined : parseMaxDownloads(options.maxDownloads);
  const session = await ctx.session();
  const entry = await session.tree.get(path);
  if (entry.id === session.tree.rootNodeId)
    throw new CliError('the root folder cannot be linked; link a folder inside it');
  const password = options.password ? await newLinkPassword(ctx) : undefined;
  const { url } = await session.links.create(entry, {
    ...(password !== undefined ? { password } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    ...(maxDownloads !== undefined ? { maxDownloads } : {}),
  });
  ctx.out(url);
}

function linkJson(owned: OwnedLink): Record<string, unknown> {
  const { link } = owned;
  return {
    id: link.id,
    url: owned.url ?? null,
    path: owned.path ?? null,
    type: link.node?.type ?? null,
    status: link.status,
    passwordRequired: link.passwordRequired,
    expiresAt: link.expiresAt,
    maxDownloads: link.maxDownloads,
    downloadCount: link.downloadCount,
    createdAt: link.createdAt,
    revokedAt: link.revokedAt,
    disabledAt: link.disabledAt,
  };
}

export async function links(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const session = await ctx.session();
  const owned = await session.links.list();
  if (options.json) {
    ctx.out(JSON.stringify(owned.map(linkJson)));
    return;
  }
  if (owned.length === 0) return;
  const rows = owned.map(({ link, url, path }) => [
    link.id,
    link.status,
    link.maxDownloads === null ? `${link.downloadCount}` : `${link.downloadCount}/${link.maxDownloads}`,
    link.expiresAt === null ? '-' : formatDate(link.expiresAt),
    link.passwordRequired ? 'password' : '-',
    path ?? '(in the trash)',
    url ?? '-',
  ]);
  ctx.out(formatTable([['ID', 'STATUS', 'DOWNLOADS', 'EXPIRES', 'PASSWORD', 'PATH', 'URL'], ...rows]));
}

export async function unlink(ctx: CliContext, target: string): Promise<void> {
  const session = await ctx.session();
  let ids: string[];
  if (/^https?:\/\//i.test(target)) {
    ids = [parseLinkUrl(target).linkId];
  } else {
    const owned = await session.links.list();
    const byId = owned.find((o) => o.link.id === target);
    if (byId) ids = [byId.link.id];
    else {
      const entry = await session.tree.find(target);
      if (!entry) throw new CliError(`no link, link id or path ${JSON.stringify(target)}`);
      ids = owned
        .filter((o) => o.link.nodeId === entry.id && o.link.status !== 'revoked')
        .map((o) => o.link.id);
      if (ids.length === 0) throw new CliError(`no link to ${entry.path}`);
    }
  }
  for (const id of ids) {
    try {
      await session.links.revoke(id);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'NOT_FOUND')
        throw new CliError(`no link ${id} of yours`);
      throw error;
    }
  }
  ctx.out(`revoked ${ids.length} link${ids.length === 1 ? '' : 's'}`);
}

export async function report(
  ctx: CliContext,
  url: string,
  options: { reason?: string; note?: string },
): Promise<void> {
  const reason = ReportReason.safeParse(options.reason);
  if (!reason.success) {
    throw new CliError(`--reason must be one of ${ReportReason.options.join(', ')}`, 2);
  }
  await reportLink(
    url,
    { reason: reason.data, ...(options.note ? { note: options.note } : {}) },
    { fetch: nodeFetch },
  );
  ctx.out('reported: the operator of this server will look at it');
}

// ---- get URL ----

interface PartialRecord {
  linkId: string;
  versionId: string;
  grant: string;
}

async function readPartialRecord(path: string): Promise<PartialRecord | undefined> {
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as Partial<PartialRecord>;
    if (
      typeof data.linkId === 'string' &&
      typeof data.versionId === 'string' &&
      typeof data.grant === 'string'
    ) {
      return data as PartialRecord;
    }
  } catch {
    // absent or unreadable: start over
  }
  return undefined;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

interface LinkGetState {
  ctx: CliContext;
  link: PublicLinkSession;
  grant: string | undefined;
}

/** The grant to use: a remembered one while it works, else one new (counted) download. */
async function ensureGrant(state: LinkGetState): Promise<string> {
  state.grant ??= await state.link.grant();
  return state.grant;
}

async function linkDownloadFile(state: LinkGetState, file: RemoteEntry, dest: string): Promise<void> {
  const { ctx, link } = state;
  const version = file.node.currentVersion;
  if (!version) throw new CliError(`not a file: ${file.path}`);
  if ((await sizeOf(dest)) === file.sizeBytes && (await stat(dest)).isFile()) {
    ctx.note(`hoard: ${file.path} is already complete, skipped`);
    return;
  }
  const temp = join(dirname(dest), `.${basename(dest)}.hoard-partial`);
  const recordPath = `${temp}.json`;
  const record = await readPartialRecord(recordPath);
  let start = 0;
  if (record && record.linkId === link.linkId && record.versionId === version.id) {
    const have = (await sizeOf(temp)) ?? 0;
    start = Math.min(Math.floor(have / CHUNK_SIZE) * CHUNK_SIZE, file.sizeBytes);
    state.grant ??= record.grant;
    if (start > 0) ctx.note(`hoard: resuming ${file.name} at ${start} of ${file.sizeBytes} bytes`);
  }
  const progress = ctx.progress(file.name);
  const handle = await open(temp, start > 0 ? 'r+' : 'w', 0o644);
  try {
    await handle.truncate(start);
    let stream: ReadableStream<Uint8Array>;
    const begin = async (): Promise<ReadableStream<Uint8Array>> => {
      const grant = await ensureGrant(state);
      await writeFile(recordPath, JSON.stringify({ linkId: link.linkId, versionId: version.id, grant }), {
        mode: 0o600,
      });
      return link.download(file, {
        grant,
        range: { start, end: file.sizeBytes },
        onProgress: ({ doneBytes, totalBytes }) => progress.update(start + doneBytes, start + totalBytes),
      });
    };
    try {
      stream = await begin();
    } catch (error) {
      // A remembered grant that expired (or was of a revoked link): one new grant, if the link allows.
      if (!(error instanceof ApiError) || !['LINK_GRANT_EXPIRED', 'NOT_FOUND'].includes(error.code))
        throw error;
      state.grant = undefined;
      stream = await begin();
    }
    let position = start;
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let offset = 0; offset < value.length;) {
        const { bytesWritten } = await handle.write(value, offset, value.length - offset, position);
        offset += bytesWritten;
        position += bytesWritten;
      }
    }
    await handle.sync();
  } finally {
    progress.finish();
    await handle.close();
  }
  if (file.mtimeMs !== undefined) await utimes(temp, new Date(), new Date(file.mtimeMs));
  await rename(temp, dest);
  await rm(recordPath, { force: true });
}

async function linkDownloadFolder(state: LinkGetState, folder: RemoteEntry, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  const { entries, unreadable } = await state.link.list(folder);
  if (unreadable > 0)
    state.ctx.note(`hoard: warning: ${unreadable} item(s) in ${folder.path} could not be decrypted`);
  for (const entry of entries) {
    const path = join(dest, entry.name);
    if (entry.type === 'folder') await linkDownloadFolder(state, entry, path);
    else await linkDownloadFile(state, entry, path);
  }
}

async function writeStdout(ctx: CliContext, stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (!ctx.io.stdout.write(value)) await new Promise((r) => ctx.io.stdout.once('drain', r));
  }
}

/** `hoard get URL [DEST]`: a file or a whole folder from a link, without an account. */
export async function getLink(ctx: CliContext, url: string, local: string | undefined): Promise<void> {
  let link: PublicLinkSession;
  try {
    link = await PublicLinkSession.open(url, {
      fetch: nodeFetch,
      content: { aead: nodeAead },
      password: async () => {
        const fromEnv = ctx.io.env.HOARD_LINK_PASSWORD;
        if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
        return ctx.ask('Link password: ', true, 'HOARD_LINK_PASSWORD');
      },
    });
  } catch (error) {
    if (error instanceof ApiError && error.code === 'LINK_PASSWORD_WRONG') {
      throw new CliError('wrong password for this link');
    }
    if (error instanceof ApiError && error.code === 'NOT_FOUND') {
      throw new CliError('no such link (or its file was deleted)');
    }
    if (error instanceof ClientError) throw new CliError(error.message);
    throw error;
  }
  const state: LinkGetState = { ctx, link, grant: undefined };
  const root = link.root;
  if (local === '-') {
    if (root.type !== 'file') throw new CliError('cannot write a folder to stdout');
    await writeStdout(ctx, await link.download(root, { grant: await ensureGrant(state) }));
    return;
  }
  let dest = resolve(ctx.io.cwd, local ?? root.name);
  const existing = await stat(dest).catch(() => undefined);
  if (local !== undefined && existing?.isDirectory()) dest = join(dest, root.name);
  if (root.type === 'file') {
    if ((await stat(dest).catch(() => undefined))?.isDirectory())
      throw new CliError(`a folder is in the way: ${dest}`);
    await linkDownloadFile(state, root, dest);
  } else {
    if ((await stat(dest).catch(() => undefined))?.isFile())
      throw new CliError(`a file is in the way: ${dest}`);
    await linkDownloadFolder(state, root, dest);
  }
}
