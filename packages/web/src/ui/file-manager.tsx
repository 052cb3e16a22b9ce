// The file manager: breadcrumbs, the folder's listing, the toolbar (new folder, uploads, and what
// applies to the selection: download, rename, move, delete, versions), drops of files and folders
// anywhere on the page, previews and players.
import { randomId } from '@hoard/crypto';
import type { HoardSession, RemoteEntry, SavedSession, VersionEntry } from '@hoard/client';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type FormEvent } from 'react';
import { registerStream, releaseStream, startDownload } from '../service-worker-client';
import type { ZipTarget } from '../shared/messages';
import type { UploadManager } from '../upload-manager';
import { Dialog, ErrorMessage } from './dialog';
import { filesOfDrop, filesOfInput, type PickedFile } from './dropped-files';
import { FileList, DRAG_TYPE, sortEntries, type Sort, type SortKey } from './file-list';
import { describeError, formatBytes, formatDate } from './format';
import { mimeOf, Preview, previewKind, type PreviewKind } from './preview';
import { ShareDialog } from './share-dialog';

type Modal =
  | { kind: 'new-folder' }
  | { kind: 'rename'; entry: RemoteEntry }
  | { kind: 'move'; entries: RemoteEntry[] }
  | { kind: 'versions'; entry: RemoteEntry }
  | { kind: 'share'; entry: RemoteEntry }
  | { kind: 'preview'; entry: RemoteEntry; url: string; streamId: string; preview: PreviewKind };

/** Serves a version through the service worker; returns its URL and registration id. */
export async function streamVersion(
  saved: SavedSession,
  version: VersionEntry,
  name: string,
  mime: string,
  disposition: 'attachment' | 'inline',
): Promise<{ url: string; id: string }> {
  const id = randomId();
  const url = await registerStream({
    kind: 'file',
    id,
    serverUrl: saved.serverUrl,
    token: saved.token,
    version,
    name,
    mime,
    disposition,
  });
  return { url, id };
}

/** The entries of a ZIP of `items` (folders walked down, every file's current version). */
export async function zipEntriesOf(
  tree: Pick<HoardSession['tree'], 'list' | 'currentVersion'>,
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
  const [dragging, setDragging] = useState(false);
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

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    uploads.onDone = (parentId) => {
      if (parentId !== folder?.id) return;
      clearTimeout(timer);
      timer = setTimeout(() => void refresh(), 250);
    };
    return () => {
      uploads.onDone = undefined;
      clearTimeout(timer);
    };
  }, [uploads, folder, refresh]);

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
    const mime = mimeOf(entry.name, entry.mime);
    const kind = previewKind(mime);
    if (!kind) {
      await download(entry);
      return;
    }
    try {
      const version = await session.tree.currentVersion(entry);
      const { url, id } = await streamVersion(saved, version, entry.name, mime, 'inline');
      setModal({ kind: 'preview', entry, url, streamId: id, preview: kind });
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
    const only = items[0];
    if (items.length === 1 && only?.type === 'file') return download(only);
    try {
      setStatus('Preparing the archive…');
      const name = items.length === 1 && only ? only.name : folder?.name || 'Hoard';
      const id = randomId();
      const url = await registerStream({
        kind: 'zip',
        id,
        serverUrl: saved.serverUrl,
        token: saved.token,
        name,
        entries: await zipEntriesOf(session.tree, items),
      });
      startDownload(url);
      setStatus(`Downloading ${name}.zip…`);
    } catch (caught) {
      setError(describeError(caught));
    }
  }

  async function uploadPicked(picked: PickedFile[]) {
    if (!folder || picked.length === 0) return;
    // Folders first (each created once, then reused), then every file into its folder.
    const folders = new Map<string, RemoteEntry>([['', folder]]);
    try {
      const jobs: { file: File; parent: RemoteEntry }[] = [];
      for (const { file, folders: names } of picked) {
        let parent = folder;
        let key = '';
        for (const name of names) {
          key += `/${name}`;
          let next = folders.get(key);
          if (!next) {
            next = await session.tree.ensureFolder(parent, name);
            folders.set(key, next);
          }
          parent = next;
        }
        jobs.push({ file, parent });
      }
      uploads.add(jobs);
      if (folders.size > 1) await refresh();
    } catch (caught) {
      setError(describeError(caught));
    }
  }

  function onDragOver(event: DragEvent) {
    if (!event.dataTransfer.types.includes('Files') || event.dataTransfer.types.includes(DRAG_TYPE)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  }

  function onDrop(event: DragEvent) {
    setDragging(false);
    if (!event.dataTransfer.types.includes('Files') || event.dataTransfer.types.includes(DRAG_TYPE)) return;
    event.preventDefault();
    void filesOfDrop(event.dataTransfer).then(uploadPicked);
  }

  const closeModal = useCallback(() => {
    setModal((current) => {
      if (current?.kind === 'preview') void releaseStream(current.streamId);
      return undefined;
    });
  }, []);

  const single = selection.length === 1 ? selection[0] : undefined;

  return (
    <div
      className={`manager${dragging ? ' dragging' : ''}`}
      onDragOver={onDragOver}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
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
        <label className="button">
          Upload files
          <input
            type="file"
            multiple
            className="visually-hidden"
            onChange={(e) => {
              const picked = filesOfInput(e.currentTarget.files!);
              e.currentTarget.value = '';
              void uploadPicked(picked);
            }}
          />
        </label>
        <label className="button">
          Upload folder
          <input
            type="file"
            multiple
            className="visually-hidden"
            webkitdirectory=""
            onChange={(e) => {
              const picked = filesOfInput(e.currentTarget.files!);
              e.currentTarget.value = '';
              void uploadPicked(picked);
            }}
          />
        </label>
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
