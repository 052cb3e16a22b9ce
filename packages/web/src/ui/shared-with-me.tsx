// "Shared with me": invitations from other accounts (accepted only after the SDK has checked the
// owner's signature over the share and the owner's keys against the ones pinned in this browser),
// and the accepted shared folders, browsed with the same file list, previews and downloads (a file,
// or a folder as one ZIP, streamed by the service worker) as the account's own. Read-only shares
// offer no writing controls; with write access, uploads (the upload worker's queue, as for own
// files: progress, pause, resume after a reload), new folder, rename and delete (to the owner's bin)
// go through the share's routes.
import {
  ApiError,
  verifyPublishedKeys,
  type HoardSession,
  type RemoteEntry,
  type SavedSession,
  type SharedFolder,
  type VerifiedKeys,
} from '@hoard/client';
import type { Share } from '@hoard/protocol';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ChangedKeysError, Contacts } from '../contacts';
import { releaseStream } from '../service-worker-client';
import type { UploadShare } from '../shared/messages';
import type { UploadManager } from '../upload-manager';
import { ButtonTrail } from './button-trail';
import { ErrorMessage } from './dialog';
import type { PickedFile } from './dropped-files';
import { FileList, sortEntries, type Sort } from './file-list';
import { downloadEntries, NameDialog, openPreview, type OpenPreview } from './file-manager';
import { describeError } from './format';
import { Preview } from './preview';
import { queuePicked, UploadButton, useFileDrop, useRefreshOnLanded } from './uploading';

function sharedFailure(error: unknown): string {
  if (error instanceof ChangedKeysError) return error.message;
  if (error instanceof ApiError) {
    if (error.code === 'SHARE_READ_ONLY')
      return 'This folder is shared with you read-only: you cannot change it.';
    if (error.code === 'NOT_FOUND' && /share|shared folder/.test(error.message))
      return 'This share is gone: the owner removed you or the folder is no longer there.';
  }
  return describeError(error);
}

/** The owner's keys as this browser trusts them (pinned on first use, refused if changed). */
async function trustedOwner(session: HoardSession, share: Share) {
  const keys = await verifyPublishedKeys(share.owner);
  new Contacts(session.userId).trust(keys);
  return keys;
}

/** An accepted share opened again by its id (after a reload: an unfinished upload's folder). */
export async function openSharedFolder(
  session: HoardSession,
  shareId: string,
): Promise<{ folder: SharedFolder; destination: UploadShare }> {
  const { incoming } = await session.shares.list();
  const share = incoming.find((s) => s.id === shareId && s.status === 'accepted');
  if (!share) throw new Error('This share is gone: the owner removed you or the folder is no longer there.');
  const ownerKeys = await trustedOwner(session, share);
  const folder = await session.shares.open(share, ownerKeys);
  return { folder, destination: { share, ownerKeys } };
}

export function SharedWithMePage(props: {
  session: HoardSession;
  saved: SavedSession;
  uploads: UploadManager;
}) {
  const { session, saved } = props;
  const [pending, setPending] = useState<Share[]>();
  const [folders, setFolders] = useState<OpenedShare[]>([]);
  const [hidden, setHidden] = useState(0);
  const [opened, setOpened] = useState<OpenedShare>();
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<string>();

  const refresh = useCallback(async () => {
    try {
      const { incoming } = await session.shares.list();
      const accepted: OpenedShare[] = [];
      let failed = 0;
      for (const share of incoming.filter((s) => s.status === 'accepted' && s.folder !== null)) {
        try {
          const ownerKeys = await trustedOwner(session, share);
          accepted.push({ folder: await session.shares.open(share, ownerKeys), ownerKeys });
        } catch {
          failed++;
        }
      }
      setPending(incoming.filter((s) => s.status === 'pending'));
      setFolders(accepted);
      setHidden(failed);
    } catch (caught) {
      setError(sharedFailure(caught));
    }
  }, [session]);
  useEffect(() => void refresh(), [refresh]);

  async function answer(share: Share, accept: boolean) {
    setError(undefined);
    try {
      if (accept) {
        const owner = await trustedOwner(session, share);
        try {
          await session.shares.verify(share, owner);
        } catch {
          throw new Error(`This invitation is not validly signed by ${share.owner.email}: not accepted.`);
        }
        await session.shares.accept(share.id);
        setStatus(`Accepted the folder from ${share.owner.email}.`);
      } else {
        await session.shares.decline(share.id);
        setStatus(`Declined the invitation from ${share.owner.email}.`);
      }
    } catch (caught) {
      setError(sharedFailure(caught));
    }
    await refresh();
  }

  if (opened) {
    return (
      <SharedFolderView
        saved={saved}
        uploads={props.uploads}
        opened={opened}
        onBack={() => {
          setOpened(undefined);
          void refresh();
        }}
      />
    );
  }

  return (
    <section className="shared" aria-labelledby="shared-title">
      <h1 id="shared-title">Shared with me</h1>
      <ErrorMessage error={error} />
      <p role="status">{pending === undefined ? 'Loading…' : status}</p>
      <h2>Invitations</h2>
      {pending?.length === 0 && <p className="hint">No invitations.</p>}
      <ul className="links" aria-label="Invitations">
        {pending?.map((s) => (
          <li key={s.id} className="link-item" aria-label={`Invitation from ${s.owner.email}`}>
            <div>
              <strong>{s.owner.email}</strong> shares a folder with you ·{' '}
              {s.access === 'write' ? 'can edit' : 'read-only'}
            </div>
            <div className="row-actions">
              <button type="button" className="primary" onClick={() => void answer(s, true)}>
                Accept
              </button>
              <button type="button" onClick={() => void answer(s, false)}>
                Decline
              </button>
            </div>
          </li>
        ))}
      </ul>
      <h2>Shared folders</h2>
      {pending !== undefined && folders.length === 0 && <p className="hint">None yet.</p>}
      {hidden > 0 && (
        <p className="hint">
          {hidden} shared folder(s) not shown: their owner&apos;s keys or signature do not check out.
        </p>
      )}
      <ul className="links" aria-label="Shared folders">
        {folders.map((f) => (
          <li key={f.folder.share.id} className="link-item">
            <button type="button" className="link" onClick={() => setOpened(f)}>
              {f.folder.root.name}
            </button>{' '}
            · from {f.folder.share.owner.email} ·{' '}
            {f.folder.share.access === 'write' ? 'can edit' : 'read-only'}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** An accepted share, opened, with its owner's keys as this browser trusts them. */
interface OpenedShare {
  folder: SharedFolder;
  ownerKeys: VerifiedKeys;
}

function SharedFolderView(props: {
  saved: SavedSession;
  uploads: UploadManager;
  opened: OpenedShare;
  onBack: () => void;
}) {
  const { saved, uploads } = props;
  const { folder, ownerKeys } = props.opened;
  const writable = folder.share.access === 'write';
  const [trail, setTrail] = useState<RemoteEntry[]>([folder.root]);
  const [entries, setEntries] = useState<RemoteEntry[]>([]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [sort, setSort] = useState<Sort>({ key: 'name', ascending: true });
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [gone, setGone] = useState(false);
  const [modal, setModal] = useState<'new-folder' | 'rename'>();
  const [preview, setPreview] = useState<OpenPreview>();
  const current = trail[trail.length - 1]!;

  const refresh = useCallback(async () => {
    try {
      const { entries: listed } = await folder.list(current);
      setEntries(listed);
      setSelected(new Set());
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'NOT_FOUND') setGone(true);
      setError(sharedFailure(caught));
    }
  }, [folder, current]);
  useEffect(() => void refresh(), [refresh]);

  const sorted = useMemo(() => sortEntries(entries, sort), [entries, sort]);
  const selection = sorted.filter((e) => selected.has(e.id));
  const single = selection.length === 1 ? selection[0] : undefined;

  function failed(caught: unknown) {
    setStatus(undefined);
    if (caught instanceof ApiError && caught.code === 'NOT_FOUND') setGone(true);
    setError(sharedFailure(caught));
  }

  async function act(what: string, action: () => Promise<void>) {
    setError(undefined);
    setStatus(`${what}…`);
    try {
      await action();
      setStatus(`${what}: done.`);
    } catch (caught) {
      failed(caught);
    }
    await refresh();
  }

  /** Others change a shared folder too: the entries as listed now, not as first shown. */
  async function fresh(items: RemoteEntry[]): Promise<RemoteEntry[]> {
    const now = (await folder.list(current)).entries;
    return items.map((item) => {
      const found = now.find((e) => e.id === item.id);
      if (!found) throw new Error(`${item.name} is no longer in this folder.`);
      return found;
    });
  }

  /** One file, or anything else as one ZIP: decrypted by the service worker straight to disk. */
  async function download(items: RemoteEntry[]) {
    if (items.length === 0) return;
    setError(undefined);
    setStatus('Preparing the download…');
    try {
      const name = await downloadEntries(saved, folder, await fresh(items), current.name, folder.routePrefix);
      setStatus(`Downloading ${name}…`);
    } catch (caught) {
      failed(caught);
    }
  }

  async function open(entry: RemoteEntry) {
    if (entry.type === 'folder') return setTrail([...trail, entry]);
    setError(undefined);
    try {
      const [now] = await fresh([entry]);
      const shown = await openPreview(saved, folder, now!, folder.routePrefix);
      if (shown) setPreview(shown);
      else await download([now!]);
    } catch (caught) {
      failed(caught);
    }
  }

  function closePreview() {
    if (preview) void releaseStream(preview.streamId);
    setPreview(undefined);
  }

  function trash() {
    if (selection.length === 0) return;
    if (!writable) {
      setError(sharedFailure(new ApiError('SHARE_READ_ONLY', 403, 'read-only')));
      return;
    }
    void act(`Moving ${selection.length} item(s) to the owner's bin`, async () => {
      for (const entry of selection) await folder.trash(entry);
    });
  }

  /** Into the upload worker's queue, as own uploads (the share's routes, the owner's quota). */
  async function upload(picked: PickedFile[]) {
    if (picked.length === 0) return;
    setError(undefined);
    try {
      if (!writable) throw new ApiError('SHARE_READ_ONLY', 403, 'read-only');
      const destination = { share: folder.share, ownerKeys };
      if (await queuePicked(uploads, folder, current, picked, destination)) await refresh();
    } catch (caught) {
      failed(caught);
    }
  }

  useRefreshOnLanded(uploads, current.id, refresh);
  const { dragging, dropProps } = useFileDrop((picked) => void upload(picked));

  return (
    <section
      className={`manager shared-folder${dragging && writable ? ' dragging' : ''}`}
      aria-labelledby="shared-folder-title"
      {...dropProps}
    >
      <h1 id="shared-folder-title" className="visually-hidden">
        {folder.root.name}, shared by {folder.share.owner.email}
      </h1>
      <ButtonTrail
        trail={trail}
        onTrail={setTrail}
        before={
          <li>
            <button type="button" className="link" onClick={props.onBack}>
              Shared with me
            </button>
          </li>
        }
      />
      <p className="hint">
        Shared by {folder.share.owner.email} ·{' '}
        {writable ? 'you can edit' : 'read-only: you can browse and download'}
      </p>
      {!gone && (
        <div className="toolbar" role="toolbar" aria-label="Files">
          {writable && (
            <>
              <button type="button" onClick={() => setModal('new-folder')}>
                New folder
              </button>
              <UploadButton
                kind="files"
                onPicked={(picked) => void upload(picked)}
                onError={(caught) => setError(describeError(caught))}
              />
              <span className="toolbar-sep" aria-hidden="true" />
            </>
          )}
          <button type="button" disabled={selection.length === 0} onClick={() => void download(selection)}>
            Download
          </button>
          {writable && (
            <>
              <button type="button" disabled={!single} onClick={() => setModal('rename')}>
                Rename
              </button>
              <button type="button" className="danger" disabled={selection.length === 0} onClick={trash}>
                Delete
              </button>
            </>
          )}
        </div>
      )}
      <ErrorMessage error={error} />
      <p role="status">{status}</p>
      {!gone && (
        <FileList
          entries={sorted}
          selected={selected}
          sort={sort}
          label={`Files in ${current.name}`}
          onSort={(key) => setSort((s) => ({ key, ascending: s.key === key ? !s.ascending : true }))}
          onSelect={(id, mode) =>
            setSelected((now) => {
              if (mode === 'only') return new Set([id]);
              const next = new Set(now);
              if (next.has(id)) next.delete(id);
              else next.add(id);
              return next;
            })
          }
          onOpen={(entry) => void open(entry)}
          onDelete={trash}
          onDropOnFolder={(target, ids) => {
            if (!writable) return trash();
            void act('Moving', async () => {
              for (const entry of entries.filter((e) => ids.includes(e.id))) await folder.move(entry, target);
            });
          }}
        />
      )}
      {dragging && writable && (
        <div className="drop-hint" aria-hidden="true">
          Drop files or folders to upload them here
        </div>
      )}
      {preview && (
        <Preview
          name={preview.entry.name}
          url={preview.url}
          kind={preview.preview}
          onClose={closePreview}
          onDownload={() => void download([preview.entry])}
        />
      )}
      {modal === 'new-folder' && (
        <NameDialog
          title="New folder"
          label="Folder name"
          submit="Create folder"
          onClose={() => setModal(undefined)}
          onSubmit={async (name) => {
            await folder.createFolder(current, name);
            await refresh();
          }}
        />
      )}
      {modal === 'rename' && single && (
        <NameDialog
          title={`Rename ${single.name}`}
          label="New name"
          submit="Rename"
          initial={single.name}
          onClose={() => setModal(undefined)}
          onSubmit={async (name) => {
            await folder.rename(single, current, name);
            await refresh();
          }}
        />
      )}
    </section>
  );
}
