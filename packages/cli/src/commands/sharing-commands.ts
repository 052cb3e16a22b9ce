// Sharing commands: link, links, unlink, get URL (no account), report. A link's key is printed
// once by `hoard link` (and again by `hoard links`, rebuilt from the owner's wrapped copy); it is
// never written to HOARD_HOME. `hoard get URL` keeps `.NAME.hoard-partial` and a small JSON beside
// it (the download grant and version, no key), so an interrupted download resumes where it
// stopped without counting as a second download.

import { stat, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  ApiError,
  ClientError,
  PublicLinkSession,
  parseLinkUrl,
  reportLink,
  verifyPublishedKeys,
  type HoardSession,
  type OwnedLink,
  type RemoteEntry,
  type SharedFolder,
  type VerifiedKeys,
} from '@hoard/client';
import { ReportReason, type Share } from '@hoard/protocol';
import { CliError, type CliContext } from '../cli-context.js';
import { ContactsStore, contactOf, pinnedKeys } from '../contacts-store.js';
import { formatDate, formatTable } from '../format.js';
import { nodeFetch } from '../node-fetch.js';
import { alreadyHere, downloadToFile } from '../partial-download.js';
import { checkPutArgs, putInto, type PutDestination } from './transfer-commands.js';
import { writeStreamTo } from '../stream-to-writable.js';

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
  if (await alreadyHere(file, dest)) {
    ctx.note(`hoard: ${file.path} is already here (same size and modification time), skipped`);
    return;
  }
  await downloadToFile(ctx, file, dest, {
    // A partial of this link goes on under the grant it began with: not a second download.
    continues: (record) => {
      if (record.linkId !== link.linkId || record.grant === undefined) return false;
      state.grant ??= record.grant;
      return true;
    },
    open: async (start, onProgress) => {
      const begin = async (): Promise<ReadableStream<Uint8Array>> =>
        link.download(file, {
          grant: await ensureGrant(state),
          range: { start, end: file.sizeBytes },
          onProgress: ({ doneBytes }) => onProgress(doneBytes),
        });
      try {
        return await begin();
      } catch (error) {
        // A remembered grant that expired (or was of a revoked link): one new grant, if the link allows.
        if (!(error instanceof ApiError) || !['LINK_GRANT_EXPIRED', 'NOT_FOUND'].includes(error.code))
          throw error;
        state.grant = undefined;
        return begin();
      }
    },
    record: () => ({ linkId: link.linkId, grant: state.grant! }),
  });
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

/** `hoard get URL [DEST]`: a file or a whole folder from a link, without an account. */
export async function getLink(ctx: CliContext, url: string, local: string | undefined): Promise<void> {
  let link: PublicLinkSession;
  try {
    link = await PublicLinkSession.open(url, {
      fetch: nodeFetch,
      content: { aead: ctx.aead },
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
    await writeStreamTo(ctx.io.stdout, await link.download(root, { grant: await ensureGrant(state) }));
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

// ---- sharing between accounts ----

function contactsOf(ctx: CliContext, session: HoardSession): ContactsStore {
  return new ContactsStore(ctx.home.dir, ctx.serverUrl, session.userId);
}

/**
 * Trust on first use: new keys are pinned (with a note), the same keys pass, changed keys stop the
 * command and say why until `hoard contacts verify EMAIL`.
 */
async function trusted(ctx: CliContext, session: HoardSession, keys: VerifiedKeys): Promise<VerifiedKeys> {
  const check = await contactsOf(ctx, session).check(keys);
  if (check.state === 'changed') {
    throw new CliError(
      `the keys of ${keys.email} changed since they were pinned on ${check.pinned.pinnedAt.slice(0, 10)} ` +
        `(fingerprint was ${check.pinned.fingerprint}, now ${check.current.fingerprint}): someone may be ` +
        `impersonating them, or they made a new account. Ask ${keys.email} for their safety number and run ` +
        `\`hoard contacts verify ${keys.email}\``,
    );
  }
  if (check.state === 'new') {
    ctx.note(
      `hoard: pinned the keys of ${keys.email} on first use (fingerprint ${check.contact.fingerprint}); ` +
        `compare safety numbers with \`hoard contacts verify ${keys.email}\``,
    );
  }
  return keys;
}

async function lookupMember(session: HoardSession, email: string): Promise<VerifiedKeys> {
  try {
    return await session.shares.lookup(email);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'NOT_FOUND') {
      throw new CliError(`no account with the e-mail address ${email.trim().toLowerCase()} on this server`);
    }
    throw error;
  }
}

export async function share(
  ctx: CliContext,
  path: string,
  email: string,
  options: { write?: boolean },
): Promise<void> {
  const session = await ctx.session();
  const folder = await session.tree.get(path);
  if (folder.type !== 'folder') throw new CliError(`only folders can be shared: ${folder.path}`);
  if (folder.id === session.tree.rootNodeId)
    throw new CliError('the root folder cannot be shared; share a folder inside it');
  if (email.trim().toLowerCase() === session.email) throw new CliError('you cannot share with yourself');
  const member = await trusted(ctx, session, await lookupMember(session, email));
  const access = options.write ? 'write' : 'read';
  try {
    await session.shares.share(folder, member, access);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'ALREADY_SHARED') {
      throw new CliError(`${folder.path} is already shared with ${member.email}`);
    }
    if (error instanceof ApiError && error.code === 'VALIDATION_FAILED' && member.userId === session.userId) {
      throw new CliError('you cannot share with yourself');
    }
    throw error;
  }
  ctx.out(`invited ${member.email} to ${folder.path} (${access === 'write' ? 'read-write' : 'read-only'})`);
}

interface OpenedIncoming {
  share: Share;
  folder: SharedFolder;
}

/** The accepted incoming shares, opened (owners' keys checked against the pinned contacts). */
async function openIncoming(ctx: CliContext, session: HoardSession): Promise<OpenedIncoming[]> {
  const { incoming } = await session.shares.list();
  const opened: OpenedIncoming[] = [];
  for (const s of incoming.filter((x) => x.status === 'accepted' && x.folder !== null)) {
    const ownerKeys = await trusted(ctx, session, await verifyPublishedKeys(s.owner));
    try {
      opened.push({ share: s, folder: await session.shares.open(s, ownerKeys) });
    } catch (error) {
      if (error instanceof ApiError) throw error;
      ctx.note(
        `hoard: warning: the folder shared by ${s.owner.email} (${s.id}) does not verify and is not shown`,
      );
    }
  }
  return opened;
}

export async function shares(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const session = await ctx.session();
  const { outgoing, incoming } = await session.shares.list();
  const cache = new Map<string, RemoteEntry>();
  const pathOf = async (s: Share): Promise<string | null> => {
    if (!s.folder) return null;
    try {
      return (await session.tree.openByAncestry(s.folder, cache)).path;
    } catch {
      return null;
    }
  };
  const out = [];
  for (const s of outgoing) {
    out.push({
      id: s.id,
      direction: 'outgoing',
      path: await pathOf(s),
      email: s.member.email,
      access: s.access,
      status: s.status,
      createdAt: s.createdAt,
    });
  }
  const opened = new Map((await openIncoming(ctx, session)).map((o) => [o.share.id, o.folder.root.name]));
  for (const s of incoming) {
    const name = opened.get(s.id);
    out.push({
      id: s.id,
      direction: 'incoming',
      path: name === undefined ? null : `/${name}`,
      email: s.owner.email,
      access: s.access,
      status: s.status,
      createdAt: s.createdAt,
    });
  }
  if (options.json) {
    ctx.out(JSON.stringify(out));
    return;
  }
  if (out.length === 0) return;
  ctx.out(
    formatTable([
      ['ID', 'DIRECTION', 'WITH', 'ACCESS', 'STATUS', 'FOLDER'],
      ...out.map((o) => [
        o.id,
        o.direction === 'outgoing' ? 'shared by you' : 'shared with you',
        o.email,
        o.access,
        o.status,
        o.path ?? '-',
      ]),
    ]),
  );
}

export async function unshare(ctx: CliContext, path: string, email: string): Promise<void> {
  const session = await ctx.session();
  const folder = await session.tree.get(path);
  const wanted = email.trim().toLowerCase();
  const { outgoing } = await session.shares.list();
  const found = outgoing.find((s) => s.folderId === folder.id && s.member.email === wanted);
  if (!found) throw new CliError(`${folder.path} is not shared with ${wanted}`);
  await session.shares.remove(found.id);
  ctx.out(`removed ${wanted} from ${folder.path}`);
}

export async function invites(
  ctx: CliContext,
  action: string | undefined,
  id: string | undefined,
  options: { json?: boolean },
): Promise<void> {
  const session = await ctx.session();
  if (action === undefined || action === 'ls') {
    const { incoming } = await session.shares.list();
    const pending = incoming.filter((s) => s.status === 'pending');
    if (options.json) {
      ctx.out(
        JSON.stringify(
          pending.map((s) => ({ id: s.id, from: s.owner.email, access: s.access, createdAt: s.createdAt })),
        ),
      );
      return;
    }
    if (pending.length > 0) {
      ctx.out(
        formatTable([
          ['ID', 'FROM', 'ACCESS', 'SINCE'],
          ...pending.map((s) => [s.id, s.owner.email, s.access, formatDate(s.createdAt)]),
        ]),
      );
    }
    return;
  }
  if (action !== 'accept' && action !== 'decline')
    throw new CliError('usage: hoard invites [accept|decline ID]', 2);
  if (id === undefined) throw new CliError(`usage: hoard invites ${action} ID`, 2);
  const { incoming } = await session.shares.list();
  const invitation = incoming.find((s) => s.id === id);
  if (!invitation) throw new CliError(`no invitation ${id}`);
  if (invitation.status !== 'pending')
    throw new CliError(`the invitation ${id} was already ${invitation.status}`);
  if (action === 'decline') {
    await session.shares.decline(id);
    ctx.out(`declined the invitation from ${invitation.owner.email}`);
    return;
  }
  const ownerKeys = await trusted(ctx, session, await verifyPublishedKeys(invitation.owner));
  try {
    await session.shares.verify(invitation, ownerKeys);
  } catch {
    throw new CliError(
      `the invitation ${id} is not validly signed by ${invitation.owner.email}: not accepted`,
    );
  }
  try {
    await session.shares.accept(id);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'SHARE_ANSWERED')
      throw new CliError(`the invitation ${id} was already answered`);
    throw error;
  }
  const folder = await session.shares.open(invitation, ownerKeys);
  ctx.out(`accepted: /${folder.root.name} from ${invitation.owner.email} (see \`hoard ls --shared\`)`);
}

/** A path below the folders shared with this account: `/<shared folder>/<path inside>`. */
export async function resolveShared(
  ctx: CliContext,
  session: HoardSession,
  path: string,
): Promise<{ folder: SharedFolder; entry: RemoteEntry } | { folders: OpenedIncoming[] }> {
  const opened = await openIncoming(ctx, session);
  const names = path.split('/').filter((n) => n !== '' && n !== '.');
  if (names.length === 0) return { folders: opened };
  const match = opened.find((o) => o.folder.root.name === names[0]);
  if (!match)
    throw new CliError(`no folder called ${names[0]} is shared with you (see \`hoard ls --shared\`)`);
  const entry = await match.folder.get(names.slice(1).join('/'));
  return { folder: match.folder, entry };
}

export async function lsShared(
  ctx: CliContext,
  path: string | undefined,
  options: { json?: boolean },
): Promise<void> {
  const session = await ctx.session();
  const resolved = await resolveShared(ctx, session, path ?? '/');
  if ('folders' in resolved) {
    const rows = resolved.folders.map((o) => ({
      name: o.folder.root.name,
      path: `/${o.folder.root.name}`,
      type: 'folder',
      owner: o.share.owner.email,
      access: o.share.access,
      shareId: o.share.id,
    }));
    if (options.json) ctx.out(JSON.stringify(rows));
    else if (rows.length > 0) ctx.out(formatTable(rows.map((r) => ['d', r.access, r.owner, `${r.name}/`])));
    return;
  }
  const { folder, entry } = resolved;
  const entries = entry.type === 'folder' ? (await folder.list(entry)).entries : [entry];
  if (options.json) {
    ctx.out(
      JSON.stringify(
        entries.map((e) => ({ name: e.name, path: e.path, type: e.type, sizeBytes: e.sizeBytes, id: e.id })),
      ),
    );
    return;
  }
  if (entries.length > 0) {
    ctx.out(
      formatTable(
        entries.map((e) => [
          e.type === 'folder' ? 'd' : '-',
          e.type === 'folder' ? '-' : String(e.sizeBytes),
          e.type === 'folder' ? `${e.name}/` : e.name,
        ]),
      ),
    );
  }
}

export async function getShared(ctx: CliContext, remote: string, local: string | undefined): Promise<void> {
  const session = await ctx.session();
  const resolved = await resolveShared(ctx, session, remote);
  if ('folders' in resolved) throw new CliError('name a folder shared with you, or a file in one');
  const { folder, entry } = resolved;
  if (local === '-') {
    if (entry.type !== 'file') throw new CliError('cannot write a folder to stdout');
    await writeStreamTo(ctx.io.stdout, await folder.download(entry));
    return;
  }
  let dest = resolve(ctx.io.cwd, local ?? entry.name);
  if (local !== undefined && (await stat(dest).catch(() => undefined))?.isDirectory())
    dest = join(dest, entry.name);
  const fetchFile = (file: RemoteEntry, to: string): Promise<void> =>
    downloadToFile(ctx, file, to, {
      continues: (record) => record.shareId === folder.share.id,
      open: (start, onProgress) =>
        folder.download(file, {
          range: { start, end: file.sizeBytes },
          onProgress: ({ doneBytes }) => onProgress(doneBytes),
        }),
      record: () => ({ shareId: folder.share.id }),
    });
  let skipped = 0;
  const fetchFolder = async (dir: RemoteEntry, to: string): Promise<void> => {
    await mkdir(to, { recursive: true });
    for (const child of (await folder.list(dir)).entries) {
      const path = join(to, child.name);
      if (child.type === 'folder') await fetchFolder(child, path);
      else if (await alreadyHere(child, path)) skipped++;
      else await fetchFile(child, path);
    }
  };
  if (entry.type === 'file') await fetchFile(entry, dest);
  else {
    try {
      await fetchFolder(entry, dest);
    } finally {
      if (skipped > 0) ctx.note(`skipped ${skipped} file(s) already here (same size and modification time)`);
    }
  }
}

export async function putShared(ctx: CliContext, args: string[], options: { name?: string }): Promise<void> {
  checkPutArgs(args, options, 'hoard put --shared LOCAL... REMOTE_DIR');
  const session = await ctx.session();
  const resolved = await resolveShared(ctx, session, args[args.length - 1]!);
  if ('folders' in resolved) throw new CliError('name a folder shared with you');
  const { folder, entry } = resolved;
  if (entry.type !== 'folder') throw new CliError(`not a folder: ${entry.path}`);
  if (folder.share.access !== 'write')
    throw new CliError(`/${folder.root.name} is shared with you read-only`);
  const into: PutDestination = {
    list: (dir) => folder.list(dir),
    findChild: (parent, name) => folder.findChild(parent, name),
    ensureFolder: (parent, name) => folder.ensureFolder(parent, name),
    upload: (parent, source, uploadOptions) => folder.upload(parent, source, uploadOptions),
    quotaExceeded: (localPath) =>
      `the owner of /${folder.root.name} has not enough space left for ${localPath}`,
  };
  await putInto(ctx, session, into, entry, args.slice(0, -1), options);
}

export async function contacts(
  ctx: CliContext,
  action: string | undefined,
  email: string | undefined,
  options: { json?: boolean; yes?: boolean },
): Promise<void> {
  const session = await ctx.session();
  const store = contactsOf(ctx, session);
  if (action === undefined || action === 'ls') {
    const all = await store.all();
    if (options.json) {
      ctx.out(
        JSON.stringify(
          all.map((c) => ({
            email: c.email,
            fingerprint: c.fingerprint,
            pinnedAt: c.pinnedAt,
            verifiedAt: c.verifiedAt,
          })),
        ),
      );
      return;
    }
    if (all.length > 0) {
      ctx.out(
        formatTable(
          all.map((c) => [c.email, c.verifiedAt ? 'verified' : 'pinned on first use', c.fingerprint]),
        ),
      );
    }
    return;
  }
  if (action !== 'verify' || email === undefined)
    throw new CliError('usage: hoard contacts [verify EMAIL]', 2);
  const keys = await lookupMember(session, email);
  const number = await session.shares.safetyNumberWith(keys);
  const pinned = await store.find(keys.email);
  const current = contactOf(keys, false);
  const changed =
    pinned !== undefined &&
    (pinned.userId !== current.userId ||
      pinned.encryptionPublicKey !== current.encryptionPublicKey ||
      pinned.signingPublicKey !== current.signingPublicKey);
  if (pinned && changed) {
    const was = contactOf(pinnedKeys(pinned), false).fingerprint;
    ctx.out(
      `the keys of ${keys.email} CHANGED: pinned fingerprint ${was}, published now ${current.fingerprint}`,
    );
  }
  ctx.out(`safety number with ${keys.email}:`);
  ctx.out(number.replace(/((?:\d{5} ){5}\d{5}) /g, '$1\n'));
  let confirmed = Boolean(options.yes);
  if (!confirmed && ctx.interactive) {
    const answer = await ctx.ask(`Does ${keys.email} see the same number? [y/N] `, false, '--yes');
    confirmed = /^y(es)?$/i.test(answer.trim());
  }
  if (!confirmed) {
    ctx.out(
      `compare it with ${keys.email} (in person or by phone), then run \`hoard contacts verify ${keys.email} --yes\``,
    );
    return;
  }
  await store.save(contactOf(keys, true));
  ctx.out(`verified ${keys.email}: these keys are pinned`);
}

/** The shared folder named by the first segment of `path` and the names below it. */
async function sharedPath(
  ctx: CliContext,
  session: HoardSession,
  path: string,
): Promise<{ folder: SharedFolder; names: string[] }> {
  const names = path.split('/').filter((n) => n !== '' && n !== '.');
  if (names.length === 0) throw new CliError('name a folder shared with you: /NAME/...');
  const match = (await openIncoming(ctx, session)).find((o) => o.folder.root.name === names[0]);
  if (!match)
    throw new CliError(`no folder called ${names[0]} is shared with you (see \`hoard ls --shared\`)`);
  return { folder: match.folder, names: names.slice(1) };
}

function writeRefusal(error: unknown, folder: SharedFolder): unknown {
  if (error instanceof ApiError && error.code === 'SHARE_READ_ONLY') {
    return new CliError(`/${folder.root.name} is shared with you read-only`);
  }
  if (error instanceof ApiError && error.code === 'ROOT_IMMUTABLE') {
    return new CliError(`/${folder.root.name} itself belongs to its owner; change what is inside it`);
  }
  if (error instanceof ApiError && error.code === 'NAME_TAKEN')
    return new CliError('the name is taken there');
  return error;
}

export async function mkdirShared(ctx: CliContext, path: string): Promise<void> {
  const session = await ctx.session();
  const { folder, names } = await sharedPath(ctx, session, path);
  const name = names.pop();
  if (name === undefined) throw new CliError('name the new folder: /NAME/.../NEW');
  const parent = await folder.get(names.join('/'));
  try {
    await folder.createFolder(parent, name);
  } catch (error) {
    throw writeRefusal(error, folder);
  }
}

export async function rmShared(ctx: CliContext, paths: string[]): Promise<void> {
  const session = await ctx.session();
  for (const path of paths) {
    const { folder, names } = await sharedPath(ctx, session, path);
    if (names.length === 0)
      throw new CliError(
        `/${folder.root.name} itself belongs to its owner; use \`hoard invites\` to leave it`,
      );
    try {
      await folder.trash(await folder.get(names.join('/')));
    } catch (error) {
      throw writeRefusal(error, folder);
    }
  }
}

export async function mvShared(ctx: CliContext, src: string, dst: string): Promise<void> {
  const session = await ctx.session();
  const from = await sharedPath(ctx, session, src);
  const to = await sharedPath(ctx, session, dst);
  if (from.folder.share.id !== to.folder.share.id) throw new CliError('moves stay within one shared folder');
  const { folder } = from;
  if (from.names.length === 0) throw new CliError(`/${folder.root.name} itself belongs to its owner`);
  const entry = await folder.get(from.names.join('/'));
  const srcParent = await folder.get(from.names.slice(0, -1).join('/'));
  const target = await folder.get(to.names.join('/')).catch(() => undefined);
  try {
    if (target?.type === 'folder') {
      if (target.id !== srcParent.id) await folder.move(entry, target);
      return;
    }
    if (target) throw new CliError(`already exists: ${dst}`);
    const name = to.names[to.names.length - 1]!;
    const parent = await folder.get(to.names.slice(0, -1).join('/'));
    if (parent.id === srcParent.id) await folder.rename(entry, srcParent, name);
    else await folder.move(entry, parent, name);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'MOVE_INTO_DESCENDANT')
      throw new CliError(`cannot move ${src} into itself`);
    throw writeRefusal(error, folder);
  }
}
