// Tree commands: ls, mkdir, mv, rm, trash, versions.

import { ApiError, type RemoteEntry, type VersionEntry } from '@hoard/client';
import { CliError, type CliContext } from '../cli-context.js';
import { formatBytes, formatDate, formatTable } from '../format.js';

/** The JSON form of an entry in listings. */
export function entryJson(entry: RemoteEntry): Record<string, unknown> {
  return {
    name: entry.name,
    path: entry.path,
    type: entry.type,
    sizeBytes: entry.sizeBytes,
    mtime: entry.mtimeMs === undefined ? null : new Date(entry.mtimeMs).toISOString(),
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
    ...(entry.mime ? { mime: entry.mime } : {}),
    ...(entry.trashedAt ? { trashedAt: entry.trashedAt } : {}),
    id: entry.id,
  };
}

function entryRow(entry: RemoteEntry, name: string): string[] {
  const when = entry.mtimeMs ?? Date.parse(entry.updatedAt);
  return [
    entry.type === 'folder' ? 'd' : '-',
    entry.type === 'folder' ? '-' : formatBytes(entry.sizeBytes),
    formatDate(when),
    entry.type === 'folder' ? `${name}/` : name,
  ];
}

function warnUnreadable(ctx: CliContext, count: number): void {
  if (count > 0) ctx.note(`hoard: warning: ${count} item(s) could not be decrypted and are not shown`);
}

export async function ls(
  ctx: CliContext,
  path: string | undefined,
  options: { json?: boolean },
): Promise<void> {
  const session = await ctx.session();
  const target = await session.tree.get(path ?? '/');
  let entries: RemoteEntry[];
  if (target.type === 'folder') {
    const listing = await session.tree.list(target);
    entries = listing.entries;
    warnUnreadable(ctx, listing.unreadable);
  } else {
    entries = [target];
  }
  if (options.json) {
    ctx.out(JSON.stringify(entries.map(entryJson)));
    return;
  }
  if (entries.length > 0) ctx.out(formatTable(entries.map((e) => entryRow(e, e.name))));
}

export async function mkdir(ctx: CliContext, path: string, options: { parents?: boolean }): Promise<void> {
  const session = await ctx.session();
  try {
    await session.tree.mkdir(path, { parents: Boolean(options.parents) });
  } catch (error) {
    if (error instanceof ApiError && error.code === 'NAME_TAKEN')
      throw new CliError(`already exists: ${path}`);
    throw error;
  }
}

export async function mv(ctx: CliContext, src: string, dst: string): Promise<void> {
  const { tree } = await ctx.session();
  const entry = await tree.get(src);
  if (entry.id === tree.rootNodeId) throw new CliError('the root folder cannot be moved');
  const { parent: srcParent } = await tree.getParent(entry.path);
  const target = await tree.find(dst);
  try {
    if (target?.type === 'folder') {
      if (target.id === srcParent.id) return;
      await tree.move(entry, target);
      return;
    }
    if (target) throw new CliError(`already exists: ${target.path}`);
    const { parent, name } = await tree.getParent(dst);
    if (parent.id === srcParent.id) await tree.rename(entry, srcParent, name);
    else await tree.move(entry, parent, name);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'MOVE_INTO_DESCENDANT') {
      throw new CliError(`cannot move ${entry.path} into itself`);
    }
    if (error instanceof ApiError && error.code === 'NAME_TAKEN')
      throw new CliError(`already exists: ${dst}`);
    throw error;
  }
}

export async function rm(ctx: CliContext, paths: string[]): Promise<void> {
  const { tree } = await ctx.session();
  for (const path of paths) await tree.trash(await tree.get(path));
}

export async function trash(
  ctx: CliContext,
  action: string | undefined,
  path: string | undefined,
  options: { json?: boolean },
): Promise<void> {
  const { tree } = await ctx.session();
  if (action === undefined || action === 'ls') {
    const { entries, unreadable } = await tree.listTrash();
    warnUnreadable(ctx, unreadable);
    if (options.json) {
      ctx.out(JSON.stringify(entries.map(entryJson)));
      return;
    }
    const rows = entries.map((e) => [
      ...entryRow(e, e.path).slice(0, 2),
      formatDate(e.trashedAt ?? e.updatedAt),
      entryRow(e, e.path)[3]!,
    ]);
    if (rows.length > 0) ctx.out(formatTable(rows));
    return;
  }
  if (action === 'empty') {
    if (path !== undefined) throw new CliError('usage: hoard trash empty', 2);
    await tree.emptyTrash();
    return;
  }
  if (action === 'restore') {
    if (path === undefined) throw new CliError('usage: hoard trash restore PATH', 2);
    const wanted =
      '/' +
      path
        .split('/')
        .filter((s) => s !== '' && s !== '.')
        .join('/');
    const { entries } = await tree.listTrash();
    const matches = entries
      .filter((e) => e.path === wanted.normalize('NFC'))
      .sort((a, b) => Date.parse(b.trashedAt ?? '') - Date.parse(a.trashedAt ?? ''));
    const entry = matches[0];
    if (!entry) throw new CliError(`not in the trash: ${wanted}`);
    try {
      await tree.restore(entry);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'PARENT_GONE')) {
        if (error instanceof ApiError && error.code === 'NAME_TAKEN') {
          throw new CliError(`cannot restore ${wanted}: something of that name exists there now`);
        }
        throw error;
      }
      await tree.restore(entry, await tree.root());
      ctx.note(`hoard: the folder ${wanted} was in is gone; restored to /${entry.name}`);
    }
    return;
  }
  throw new CliError(`unknown trash action: ${action} (ls, restore PATH, empty)`, 2);
}

function versionJson(number: number, v: VersionEntry, current: boolean): Record<string, unknown> {
  return {
    number,
    current,
    id: v.id,
    sizeBytes: v.sizeBytes,
    mtime: v.mtimeMs === undefined ? null : new Date(v.mtimeMs).toISOString(),
    createdAt: v.createdAt,
  };
}

export async function versions(
  ctx: CliContext,
  path: string,
  action: string | undefined,
  number: string | undefined,
  options: { json?: boolean },
): Promise<void> {
  const { tree } = await ctx.session();
  const file = await tree.get(path);
  if (file.type !== 'file') throw new CliError(`not a file: ${file.path}`);
  const older = await tree.versions(file);
  if (action === 'restore') {
    const n = Number(number);
    if (!Number.isInteger(n) || n < 1)
      throw new CliError('usage: hoard versions PATH restore N (N >= 1, see `hoard versions PATH`)', 2);
    const version = older[n - 1];
    if (!version)
      throw new CliError(`no version ${n} of ${file.path} (it has ${older.length} older version(s))`);
    await tree.restoreVersion(file, version.id);
    return;
  }
  if (action !== undefined) throw new CliError(`unknown versions action: ${action} (restore N)`, 2);
  const current = await tree.currentVersion(file);
  const all = [
    { n: 0, v: current, current: true },
    ...older.map((v, i) => ({ n: i + 1, v, current: false })),
  ];
  if (options.json) {
    ctx.out(JSON.stringify(all.map(({ n, v, current: c }) => versionJson(n, v, c))));
    return;
  }
  ctx.out(
    formatTable([
      ['N', 'UPLOADED', 'SIZE', ''],
      ...all.map(({ n, v, current: c }) => [
        String(n),
        formatDate(v.createdAt),
        formatBytes(v.sizeBytes),
        c ? '(current)' : '',
      ]),
    ]),
  );
}
