// The file manager: breadcrumbs, the folder's listing, the toolbar (new folder, uploads, and what
// applies to the selection: download, rename, move, delete, versions), drops of files and folders
// anywhere on the page, previews and players.
import { randomId } from '@hoard/crypto';
import type { HoardSession, RemoteEntry, SavedSession, VersionEntry } from '@hoard/client';
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { registerStream, releaseStream, startDownload } from '../service-worker-client';
import type { ZipTarget } from '../shared/messages';
import type { UploadManager } from '../upload-manager';
import { Dialog, ErrorMessage } from './dialog';
import type { PickedFile } from './dropped-files';
import { FileList, sortEntries, type Sort, type SortKey } from './file-list';
import { describeError, formatBytes, formatDate } from './format';
import { mimeOf, Preview, previewKind, type PreviewKind } from './preview';
import { ShareDialog } from './share-dialog';
import { queuePicked, UploadButton, useFileDrop, useRefreshOnLanded } from './uploading';

type Modal =
  | { kind: 'new-folder' }
  | { kind: 'rename'; entry: RemoteEntry }
  | { kind: 'move'; entries: RemoteEntry[] }
  | { kind: 'versions'; entry: RemoteEntry }
  | { kind: 'share'; entry: RemoteEntry }
  | ({ kind: 'preview' } & OpenPreview);

/**
 * Serves a version through the service worker; returns its URL and registration id. `grantPath`
 * reads it through a share's routes (a folder shared with this account) instead of the account's.
 */
export async function streamVersion(
  saved: SavedSession,
  version: VersionEntry,
  name: string,
  mime: string,
  disposition: 'attachment' | 'inline',
  grantPath?: string,
): Promise<{ url: string; id: string }> {
  const id = randomId();
  const url = await registerStream({
    kind: 'file',
    id,
    serverUrl: saved.serverUrl,
    token: saved.token,
    ...(grantPath ? { grantPath } : {}),
    version,
    name,
    mime,
    disposition,
  });
  return { url, id };
}

/** A tree that files are read from: the account's own, or a folder shared with it. */
export type ReadableTree = Pick<HoardSession['tree'], 'list' | 'currentVersion'>;

/**
 * Downloads `items` of `tree` through the service worker, straight to disk: one file as itself,
 * anything else as one ZIP (named after the folder, or `fallbackName`). Returns what is downloading.
 */
export async function downloadEntries(
  saved: SavedSession,
  tree: ReadableTree,
  items: RemoteEntry[],
  fallbackName: string,
  grantPath?: string,
): Promise<string> {
  const only = items[0];
  if (items.length === 1 && only?.type === 'file') {
    const version = await tree.currentVersion(only);
    const mime = mimeOf(only.name, only.mime);
    startDownload((await streamVersion(saved, version, only.name, mime, 'attachment', grantPath)).url);
    return only.name;
  }
  const name = items.length === 1 && only ? only.name : fallbackName;
  const url = await registerStream({
    kind: 'zip',
    id: randomId(),
    serverUrl: saved.serverUrl,
    token: saved.token,
    ...(grantPath ? { grantPath } : {}),
    name,
    entries: await zipEntriesOf(tree, items),
  });
  startDownload(url);
  return `${name}.zip`;
}

/** An open preview: the entry, its service-worker URL and registration, and how it shows. */
export interface OpenPreview {
  entry: RemoteEntry;
  url: string;
  streamId: string;
  preview: PreviewKind;
}

/** Opens `entry` for a preview in place, or undefined when it is not something a page shows. */
export async function openPreview(
  saved: SavedSession,
  tree: ReadableTree,
  entry: RemoteEntry,
  grantPath?: string,
): Promise<OpenPreview | undefined> {
  const mime = mimeOf(entry.name, entry.mime);
  const preview = previewKind(mime);
  if (!preview) return undefined;
  const version = await tree.currentVersion(entry);
  const { url, id } = await streamVersion(saved, version, entry.name, mime, 'inline', grantPath);
  return { entry, url, streamId: id, preview };
}

/** The entries of a ZIP of `items` (folders walked down, every file's current version). */
export async function zipEntriesOf(
  tree: ReadableTree,
  items: RemoteEntry[],
  prefix = '',
): Promise<ZipTarget['entries']> {
  const out: ZipTarget['entries'] = [];
  for (const item of items) {
    if (item.type === 'folder') {
      out.push({ path: `${prefix}${item.name}/` });
      out.push(...(await zipEntriesOf(tree, (await tree.list(item)).entries, `${prefix}${item.name}/`)));
    } else if (item.node.currentVersion) {
      out.push({
        path: `${prefix}${item.name}`,
        ...(item.mtimeMs !== undefined ? { mtimeMs: item.mtimeMs } : {}),
        version: await tree.currentVersion(item),
      });
    }
  }
  return out;
}

export function FileManager(props: {
  session: HoardSession;
  saved: SavedSession;
  uploads: UploadManager;
  path: string;
  navigate: (path: string) => void;
}) {
  const { session, saved, uploads } = props;
  const [trail, setTrail] = useState<RemoteEntry[]>([]);
  const [entries, setEntries] = useState<RemoteEntry[]>([]);
  const [unreadable, setUnreadable] = useState(0);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [sort, setSort] = useState<Sort>({ key: 'name', ascending: true });
  const [modal, setModal] = useState<Modal>();
  const anchor = useRef<string>(undefined);
  const folder = trail[trail.length - 1];

  // Resolve the URL's path to a chain of folders (each verified on the way down).
  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    setError(undefined);
    (async () => {
      const chain = [await session.tree.root()];
      for (const name of props.path.split('/').filter(Boolean)) {
        const child = await session.tree.findChild(chain[chain.length - 1]!, name);
        if (!child || child.type !== 'folder') throw new Error(`There is no folder ${props.path}.`);
        chain.push(child);
      }
      if (!cancelled) setTrail(chain);
    })().catch((caught: unknown) => {
      if (!cancelled) {
        setError(describeError(caught));
        setLoading(false);
      }
    });
    return () => {
      cancelled = true;
    };
  }, [session, props.path]);

  const refresh = useCallback(async () => {
    if (!folder) return;
    try {
      const listing = await session.tree.list(folder);
      setEntries(listing.entries);
      setUnreadable(listing.unreadable);
      setError(undefined);
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setLoading(false);
    }
  }, [session, folder]);

  useEffect(() => {
    setSelected(new Set());
    void refresh();
  }, [refresh]);

  useRefreshOnLanded(uploads, folder?.id, refresh);
  const { dragging, dropProps } = useFileDrop((picked) => void uploadPicked(picked));

  const sorted = useMemo(() => sortEntries(entries, sort), [entries, sort]);
  const selection = sorted.filter((e) => selected.has(e.id));

  function folderPath(entry: RemoteEntry): string {
    return entry.path === '/' ? '/files' : `/files${entry.path.split('/').map(encodeURIComponent).join('/')}`;
  }

  function onSelect(id: string, mode: 'only' | 'toggle' | 'range') {
    setSelected((current) => {
      if (mode === 'only') return new Set([id]);
      const next = new Set(current);
      if (mode === 'toggle') {
        if (next.has(id)) next.delete(id);
        else next.add(id);
      } else {
        const from = sorted.findIndex((e) => e.id === anchor.current);
        const to = sorted.findIndex((e) => e.id === id);
        const [lo, hi] = from < 0 ? [to, to] : [Math.min(from, to), Math.max(from, to)];
        for (const e of sorted.slice(lo, hi + 1)) next.add(e.id);
      }
      return next;
    });
    if (mode !== 'range') anchor.current = id;
  }

  async function act(what: string, action: () => Promise<void>) {
    setError(undefined);
    setStatus(`${what}…`);
    try {
      await action();
      setStatus(`${what}: done.`);
    } catch (caught) {
      setStatus(undefined);
      setError(describeError(caught));
    }
    await refresh();
  }

  async function open(entry: RemoteEntry) {
    if (entry.type === 'folder') {
      props.navigate(folderPath(entry));
      return;
    }
    try {
      const shown = await openPreview(saved, session.tree, entry);
      if (shown) setModal({ kind: 'preview', ...shown });
      else await download(entry);
    } catch (caught) {
      setError(describeError(caught));
    }
  }

  async function download(entry: RemoteEntry, version?: VersionEntry) {
    try {
      const v = version ?? (await session.tree.currentVersion(entry));
      const { url } = await streamVersion(saved, v, entry.name, mimeOf(entry.name, entry.mime), 'attachment');
      startDownload(url);
      setStatus(`Downloading ${entry.name}…`);
    } catch (caught) {
      setError(describeError(caught));
    }
  }

  /** One file: itself; anything else: one ZIP, streamed. */
  async function downloadSelection(items: RemoteEntry[]) {
    try {
      if (items.length !== 1 || items[0]?.type !== 'file') setStatus('Preparing the archive…');
      const name = await downloadEntries(saved, session.tree, items, folder?.name || 'Hoard');
      setStatus(`Downloading ${name}…`);
    } catch (caught) {
      setError(describeError(caught));
    }
  }

  async function uploadPicked(picked: PickedFile[]) {
    if (!folder || picked.length === 0) return;
    try {
      if (await queuePicked(uploads, session.tree, folder, picked)) await refresh();
    } catch (caught) {
      setError(describeError(caught));
    }
  }

  const closeModal = useCallback(() => {
    setModal((current) => {
      if (current?.kind === 'preview') void releaseStream(current.streamId);
      return undefined;
    });
  }, []);

  const single = selection.length === 1 ? selection[0] : undefined;

  return (
    <div className={`manager${dragging ? ' dragging' : ''}`} {...dropProps}>
      <nav aria-label="Breadcrumbs" className="breadcrumbs">
        <ol>
          {trail.map((entry, i) => (
            <li key={entry.id}>
              {i === trail.length - 1 ? (
                <span aria-current="page">{entry.name || 'My files'}</span>
              ) : (
                <a
                  href={folderPath(entry)}
                  onClick={(e) => {
                    e.preventDefault();
                    props.navigate(folderPath(entry));
                  }}
                >
                  {entry.name || 'My files'}
                </a>
              )}
            </li>
          ))}
        </ol>
      </nav>
      <div className="toolbar" role="toolbar" aria-label="Files">
        <button type="button" onClick={() => setModal({ kind: 'new-folder' })} disabled={!folder}>
          New folder
        </button>
        <UploadButton
          kind="files"
          onPicked={(picked) => void uploadPicked(picked)}
          onError={(caught) => setError(describeError(caught))}
        />
        <UploadButton
          kind="folder"
          onPicked={(picked) => void uploadPicked(picked)}
          onError={(caught) => setError(describeError(caught))}
        />
        <span className="toolbar-sep" aria-hidden="true" />
        <button
          type="button"
          disabled={selection.length === 0}
          onClick={() => void downloadSelection(selection)}
        >
          Download
        </button>
        <button
          type="button"
          disabled={!single}
          onClick={() => single && setModal({ kind: 'rename', entry: single })}
        >
          Rename
        </button>
        <button
          type="button"
          disabled={selection.length === 0}
          onClick={() => setModal({ kind: 'move', entries: selection })}
        >
          Move
        </button>
        <button
          type="button"
          disabled={single?.type !== 'file'}
          onClick={() => single && setModal({ kind: 'versions', entry: single })}
        >
          Versions
        </button>
        <button
          type="button"
          disabled={!single}
          onClick={() => single && setModal({ kind: 'share', entry: single })}
        >
          Share
        </button>
        <button
          type="button"
          className="danger"
          disabled={selection.length === 0}
          onClick={() =>
            void act(`Moving ${selection.length} item(s) to the bin`, async () => {
              for (const entry of selection) await session.tree.trash(entry);
            })
          }
        >
          Delete
        </button>
      </div>
      <ErrorMessage error={error} />
      <p role="status" className="status">
        {loading ? 'Loading…' : status}
        {unreadable > 0 && ` ${unreadable} item(s) could not be decrypted and are not shown.`}
      </p>
      <FileList
        entries={sorted}
        selected={selected}
        sort={sort}
        label={folder ? `Contents of ${folder.name || 'My files'}` : 'Contents'}
        onSort={(key: SortKey) => setSort((s) => ({ key, ascending: s.key === key ? !s.ascending : true }))}
        onSelect={onSelect}
        onOpen={(entry) => void open(entry)}
        onDelete={() =>
          selection.length > 0 &&
          void act('Moving to the bin', async () => {
            for (const entry of selection) await session.tree.trash(entry);
          })
        }
        onDropOnFolder={(target, ids) =>
          void act(`Moving into ${target.name}`, async () => {
            for (const entry of entries.filter((e) => ids.includes(e.id)))
              await session.tree.move(entry, target);
          })
        }
      />
      {dragging && (
        <div className="drop-hint" aria-hidden="true">
          Drop files or folders to upload them here
        </div>
      )}
      {modal?.kind === 'new-folder' && folder && (
        <NameDialog
          title="New folder"
          label="Folder name"
          submit="Create folder"
          onClose={closeModal}
          onSubmit={async (name) => {
            await session.tree.createFolder(folder, name);
            await refresh();
          }}
        />
      )}
      {modal?.kind === 'rename' && folder && (
        <NameDialog
          title={`Rename ${modal.entry.name}`}
          label="New name"
          initial={modal.entry.name}
          submit="Rename"
          onClose={closeModal}
          onSubmit={async (name) => {
            await session.tree.rename(modal.entry, folder, name);
            await refresh();
          }}
        />
      )}
      {modal?.kind === 'move' && (
        <NameDialog
          title={`Move ${modal.entries.length === 1 ? modal.entries[0]!.name : `${modal.entries.length} items`}`}
          label="Destination folder"
          initial={folder?.path ?? '/'}
          submit="Move here"
          onClose={closeModal}
          onSubmit={async (path) => {
            const target = await session.tree.getFolder(path);
            for (const entry of modal.entries) await session.tree.move(entry, target);
            await refresh();
          }}
        />
      )}
      {modal?.kind === 'versions' && (
        <VersionsDialog
          session={session}
          entry={modal.entry}
          onClose={closeModal}
          onDownload={(v) => void download(modal.entry, v)}
          onRestored={() => void refresh()}
        />
      )}
      {modal?.kind === 'share' && <ShareDialog session={session} entry={modal.entry} onClose={closeModal} />}
      {modal?.kind === 'preview' && (
        <Preview
          name={modal.entry.name}
          url={modal.url}
          kind={modal.preview}
          onClose={closeModal}
          onDownload={() => void download(modal.entry)}
        />
      )}
    </div>
  );
}

export function NameDialog(props: {
  title: string;
  label: string;
  submit: string;
  initial?: string;
  onClose: () => void;
  onSubmit: (value: string) => Promise<void>;
}) {
  const [value, setValue] = useState(props.initial ?? '');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      await props.onSubmit(value.trim());
      props.onClose();
    } catch (caught) {
      setError(describeError(caught));
      setBusy(false);
    }
  }
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          {props.label}
          <input autoFocus required value={value} onChange={(e) => setValue(e.target.value)} />
        </label>
        <ErrorMessage error={error} />
        <div className="row-actions">
          <button type="submit" className="primary" disabled={busy}>
            {props.submit}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function VersionsDialog(props: {
  session: HoardSession;
  entry: RemoteEntry;
  onClose: () => void;
  onDownload: (version: VersionEntry) => void;
  onRestored: () => void;
}) {
  const [versions, setVersions] = useState<VersionEntry[]>();
  const [error, setError] = useState<string>();
  const { session, entry } = props;
  useEffect(() => {
    session.tree.versions(entry).then(setVersions, (caught: unknown) => setError(describeError(caught)));
  }, [session, entry]);
  return (
    <Dialog title={`Versions of ${entry.name}`} onClose={props.onClose}>
      <ErrorMessage error={error} />
      <p>
        Current: {formatBytes(entry.sizeBytes)}, {formatDate(entry.updatedAt)}
      </p>
      {versions?.length === 0 && <p>There are no older versions.</p>}
      <ul className="versions">
        {versions?.map((v) => (
          <li key={v.id}>
            {formatBytes(v.sizeBytes)}, {formatDate(v.createdAt)}{' '}
            <button type="button" onClick={() => props.onDownload(v)}>
              Download
            </button>{' '}
            <button
              type="button"
              onClick={() =>
                void session.tree.restoreVersion(entry, v.id).then(
                  () => {
                    props.onRestored();
                    props.onClose();
                  },
                  (caught: unknown) => setError(describeError(caught)),
                )
              }
            >
              Restore
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
