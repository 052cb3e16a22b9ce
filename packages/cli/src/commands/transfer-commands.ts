// put and get: files and folders (recursive), stdin and stdout, resumable uploads and downloads
// (partial-download.ts), progress bars; a folder's get run again fetches only the files that are
// not already here.

import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, realpath, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { once } from 'node:events';
import {
  ApiError,
  type FolderListing,
  type HoardSession,
  type RemoteEntry,
  type ResumeStore,
  type UploadOptions,
  type UploadResult,
  type UploadSource,
} from '@hoard/client';
import { CliError, type CliContext } from '../cli-context.js';
import { FileSource } from '../file-source.js';
import { silentProgress } from '../progress-bar.js';
import { alreadyHere, downloadToFile } from '../partial-download.js';
import { writeStreamTo } from '../stream-to-writable.js';
import type { PutJournal } from '../put-journal.js';

/**
 * Where a put writes: the account's own tree, or a folder shared with it (a SharedFolder has the
 * same calls), so both get the same resume, journal, parallel small files and progress.
 */
export interface PutDestination {
  list(folder: RemoteEntry): Promise<FolderListing>;
  findChild(parent: RemoteEntry, name: string): Promise<RemoteEntry | undefined>;
  ensureFolder(parent: RemoteEntry, name: string): Promise<RemoteEntry>;
  upload(parent: RemoteEntry, source: UploadSource, options: UploadOptions): Promise<UploadResult>;
  /** The one-line error when the space this put is charged to is full. */
  quotaExceeded(localPath: string): string;
}

interface PutState {
  ctx: CliContext;
  into: PutDestination;
  store: ResumeStore;
  journal: PutJournal;
  /** Files skipped because an interrupted run of this command had uploaded them already. */
  skipped: number;
}

async function uploadFile(
  state: PutState,
  parent: RemoteEntry,
  localPath: string,
  name: string,
  existing?: RemoteEntry | null,
  quiet = false,
): Promise<void> {
  const { ctx, into, store, journal } = state;
  const source = await FileSource.open(localPath);
  const resumeKey = `${await realpath(localPath)}\n${parent.id}\n${name}`;
  if (journal.recorded(resumeKey)) {
    const remote = existing !== undefined ? existing : await into.findChild(parent, name);
    if (journal.isDone(resumeKey, source, remote)) {
      state.skipped++;
      await source.close();
      return;
    }
  }
  const progress = quiet ? silentProgress : ctx.progress(`${name}`);
  try {
    const { entry } = await into.upload(parent, source, {
      name,
      ...(existing !== undefined ? { existing } : {}),
      resumeStore: store,
      resumeKey,
      onProgress: ({ doneBytes, totalBytes }) => progress.update(doneBytes, totalBytes),
      onResume: ({ landedParts, partCount }) => {
        progress.finish();
        ctx.note(`resuming upload: ${landedParts} of ${partCount} parts already on the server`);
      },
      onRestart: (reason) => {
        progress.finish();
        ctx.note(`hoard: ${reason}`);
      },
    });
    const versionId = entry.node.currentVersion?.id;
    if (versionId !== undefined) await journal.record(resumeKey, source, versionId);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'QUOTA_EXCEEDED') {
      throw new CliError(into.quotaExceeded(localPath));
    }
    throw error;
  } finally {
    progress.finish();
    await source.close();
  }
}

/**
 * Files up to this size in one folder are uploaded several at once: each costs three round trips
 * that the server answers only after an fsync, so one at a time leaves both sides mostly waiting.
 */
const SMALL_FILE_BYTES = 4 * 1024 * 1024;
const SMALL_FILES_AT_ONCE = 8;

/** Runs `task` on every item, `limit` at a time; the first failure stops new tasks and is thrown. */
async function inPool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  if (failure) throw failure.error;
}

async function uploadDirectory(state: PutState, parent: RemoteEntry, localDir: string): Promise<void> {
  const folder = await state.into.ensureFolder(parent, basename(localDir));
  // One listing for the whole folder, not one per file (folders of 10,000 files).
  const { entries } = await state.into.list(folder);
  const remote = new Map(entries.map((e) => [e.name, e]));
  const names = (await readdir(localDir)).sort();
  const small: string[] = [];
  for (const name of names) {
    const path = join(localDir, name);
    const stats = await stat(path).catch(() => undefined);
    if (stats?.isFile() && stats.size <= SMALL_FILE_BYTES) small.push(name);
    else await uploadPath(state, folder, path, remote);
  }
  // Small files without progress bars (several at once would garble them; each takes a moment).
  await inPool(small, SMALL_FILES_AT_ONCE, (name) =>
    uploadFile(state, folder, join(localDir, name), name, remote.get(name.normalize('NFC')) ?? null, true),
  );
}

async function uploadPath(
  state: PutState,
  parent: RemoteEntry,
  localPath: string,
  remote?: Map<string, RemoteEntry>,
): Promise<void> {
  let stats;
  try {
    stats = await stat(localPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CliError(`no such local file: ${localPath}`);
    throw error;
  }
  if (stats.isDirectory()) await uploadDirectory(state, parent, localPath);
  else if (stats.isFile()) {
    const name = basename(localPath);
    await uploadFile(
      state,
      parent,
      localPath,
      name,
      remote ? (remote.get(name.normalize('NFC')) ?? null) : undefined,
    );
  } else state.ctx.note(`hoard: skipping ${localPath}: not a regular file or folder`);
}

/** Copies stdin into a private temp file (its size must be known before the upload starts). */
async function spoolStdin(ctx: CliContext): Promise<string> {
  const dir = join(ctx.home.dir, 'tmp');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `stdin-${randomBytes(8).toString('hex')}`);
  const out = createWriteStream(path, { mode: 0o600 });
  try {
    for await (const chunk of ctx.io.stdin) {
      if (!out.write(chunk as Uint8Array)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } catch (error) {
    out.destroy();
    await rm(path, { force: true });
    throw error;
  }
  return path;
}

export async function put(ctx: CliContext, args: string[], options: { name?: string }): Promise<void> {
  checkPutArgs(args, options, 'hoard put LOCAL... REMOTE_DIR');
  const session = await ctx.session();
  const remoteDir = args[args.length - 1]!;
  const existing = await session.tree.find(remoteDir);
  if (existing && existing.type !== 'folder') throw new CliError(`not a folder: ${existing.path}`);
  const target = existing ?? (await session.tree.mkdir(remoteDir, { parents: true }));
  const into: PutDestination = {
    list: (folder) => session.tree.list(folder),
    findChild: (parent, name) => session.tree.findChild(parent, name),
    ensureFolder: (parent, name) => session.tree.ensureFolder(parent, name),
    upload: (parent, source, uploadOptions) => session.upload(parent, source, uploadOptions),
    quotaExceeded: (localPath) =>
      `not enough space left for ${localPath}: free some, or buy a plan (\`hoard plans\`, \`hoard upgrade PLAN\`; see \`hoard quota\`)`,
  };
  await putInto(ctx, session, into, target, args.slice(0, -1), options);
}

/** Checks a put's arguments: LOCAL... REMOTE_DIR, stdin at most once and with --name. */
export function checkPutArgs(args: string[], options: { name?: string }, usage: string): void {
  if (args.length < 2) throw new CliError(`usage: ${usage}`, 2);
  const locals = args.slice(0, -1);
  if (locals.includes('-') && options.name === undefined) throw new CliError('`put -` needs --name NAME', 2);
  if (locals.filter((l) => l === '-').length > 1) throw new CliError('stdin can be read only once', 2);
}

/** Uploads `locals` (files, folders, `-` for stdin) into `target` of `into`. */
export async function putInto(
  ctx: CliContext,
  session: HoardSession,
  into: PutDestination,
  target: RemoteEntry,
  locals: string[],
  options: { name?: string },
): Promise<void> {
  // The same command run again (same local paths, same remote folder) continues where it stopped.
  const localPaths = await Promise.all(
    locals.map(async (local) =>
      local === '-' ? local : realpath(resolve(ctx.io.cwd, local)).catch(() => local),
    ),
  );
  const journal = await ctx.home.putJournal(
    ctx.serverUrl,
    session.userId,
    JSON.stringify([target.id, ...localPaths]),
  );
  const state: PutState = {
    ctx,
    into,
    store: ctx.home.resumeStore(ctx.serverUrl, session.userId),
    journal,
    skipped: 0,
  };
  try {
    await putAll(state, target, locals, options);
    await journal.finish();
  } finally {
    await journal.close();
    if (state.skipped > 0) {
      ctx.note(`resuming put: skipped ${state.skipped} file(s) the interrupted run had uploaded`);
    }
  }
}

async function putAll(
  state: PutState,
  target: RemoteEntry,
  locals: string[],
  options: { name?: string },
): Promise<void> {
  const { ctx, into } = state;
  for (const local of locals) {
    if (local === '-') {
      const spooled = await spoolStdin(ctx);
      const source = await FileSource.open(spooled);
      const progress = ctx.progress(options.name!);
      try {
        await into.upload(target, source, {
          name: options.name!,
          onProgress: ({ doneBytes, totalBytes }) => progress.update(doneBytes, totalBytes),
        });
      } finally {
        progress.finish();
        await source.close();
        await rm(spooled, { force: true });
      }
      continue;
    }
    await uploadPath(state, target, resolve(ctx.io.cwd, local));
  }
}

async function exists(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

/** One of the account's files to `dest` (going on from an interrupted run's partial). */
function downloadFile(
  ctx: CliContext,
  session: HoardSession,
  file: RemoteEntry,
  dest: string,
): Promise<void> {
  return downloadToFile(ctx, file, dest, {
    continues: () => true,
    open: (start, onProgress) =>
      session.download(file, {
        range: { start, end: file.sizeBytes },
        onProgress: ({ doneBytes }) => onProgress(doneBytes),
      }),
    record: () => ({}),
  });
}

async function downloadFolder(
  ctx: CliContext,
  session: HoardSession,
  folder: RemoteEntry,
  dest: string,
  counts: { skipped: number },
): Promise<void> {
  await mkdir(dest, { recursive: true });
  const { entries, unreadable } = await session.tree.list(folder);
  if (unreadable > 0)
    ctx.note(`hoard: warning: ${unreadable} item(s) in ${folder.path} could not be decrypted`);
  for (const entry of entries) {
    const path = join(dest, entry.name);
    if (entry.type === 'folder') await downloadFolder(ctx, session, entry, path, counts);
    else if (await alreadyHere(entry, path)) counts.skipped++;
    else await downloadFile(ctx, session, entry, path);
  }
}

export async function get(ctx: CliContext, remote: string, local: string | undefined): Promise<void> {
  const session = await ctx.session();
  const entry = await session.tree.get(remote);
  if (local === '-') {
    if (entry.type !== 'file') throw new CliError(`cannot write a folder to stdout: ${entry.path}`);
    const stream = await session.download(entry);
    await writeStreamTo(ctx.io.stdout, stream);
    return;
  }
  const name = entry.name === '' ? 'hoard' : entry.name;
  let dest = local === undefined ? resolve(ctx.io.cwd, name) : resolve(ctx.io.cwd, local);
  if (local !== undefined && (await exists(dest)) === 'dir' && entry.name !== '') dest = join(dest, name);
  if (entry.type === 'file') {
    if ((await exists(dest)) === 'dir') throw new CliError(`a folder is in the way: ${dest}`);
    await downloadFile(ctx, session, entry, dest);
  } else {
    if ((await exists(dest)) === 'file') throw new CliError(`a file is in the way: ${dest}`);
    const counts = { skipped: 0 };
    try {
      await downloadFolder(ctx, session, entry, dest, counts);
    } finally {
      if (counts.skipped > 0) {
        ctx.note(`skipped ${counts.skipped} file(s) already here (same size and modification time)`);
      }
    }
  }
}
