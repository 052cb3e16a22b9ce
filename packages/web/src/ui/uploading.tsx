// What both file views (the account's own folders and folders shared with it) need to start
// uploads: the "Upload files" and "Upload folder" buttons (with handles where the browser has
// handle pickers, the plain input everywhere else), drops of files and folders anywhere on the view,
// the queueing of picked files into their folders (created on the way), and a refresh of the
// listing as uploads land.
import type { RemoteEntry } from '@hoard/client';
import { useEffect, useState, type DragEvent } from 'react';
import type { UploadShare } from '../shared/messages';
import type { UploadManager } from '../upload-manager';
import { filesOfDrop, filesOfInput, handlePicking, type PickedFile } from './dropped-files';
import { DRAG_TYPE } from './file-list';

/**
 * "Upload files" and "Upload folder": where the browser has pickers that give handles (Chromium),
 * the files come with them, so an upload a reload interrupts resumes without picking again; the
 * input is the fallback everywhere else (and what a test or an assistive tool can set directly).
 */
export function UploadButton(props: {
  kind: 'files' | 'folder';
  onPicked: (picked: PickedFile[]) => void;
  onError: (error: unknown) => void;
}) {
  return (
    <label className="button">
      {props.kind === 'files' ? 'Upload files' : 'Upload folder'}
      <input
        type="file"
        multiple
        className="visually-hidden"
        {...(props.kind === 'folder' ? { webkitdirectory: '' } : {})}
        onClick={(e) => {
          const pick = handlePicking(props.kind);
          if (!pick) return;
          e.preventDefault();
          pick().then(props.onPicked, (error: unknown) => {
            if (!(error instanceof DOMException && error.name === 'AbortError')) props.onError(error);
          });
        }}
        onChange={(e) => {
          const picked = filesOfInput(e.currentTarget.files!);
          e.currentTarget.value = '';
          props.onPicked(picked);
        }}
      />
    </label>
  );
}

/** Drops of files and folders from outside the page (not rows dragged inside it) onto a view. */
export function useFileDrop(onPicked: (picked: PickedFile[]) => void) {
  const [dragging, setDragging] = useState(false);
  const fromOutside = (event: DragEvent) =>
    event.dataTransfer.types.includes('Files') && !event.dataTransfer.types.includes(DRAG_TYPE);
  return {
    dragging,
    dropProps: {
      onDragOver(event: DragEvent) {
        if (!fromOutside(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      },
      onDragLeave(event: DragEvent) {
        if (event.currentTarget === event.target) setDragging(false);
      },
      onDrop(event: DragEvent) {
        setDragging(false);
        if (!fromOutside(event)) return;
        event.preventDefault();
        void filesOfDrop(event.dataTransfer).then(onPicked);
      },
    },
  };
}

/**
 * Queues picked files into `folder` of `tree`: their folders first (each created once, or found),
 * then every file into its folder. Returns whether folders were made (the listing changed).
 */
export async function queuePicked(
  uploads: UploadManager,
  tree: { ensureFolder(parent: RemoteEntry, name: string): Promise<RemoteEntry> },
  folder: RemoteEntry,
  picked: PickedFile[],
  shared?: UploadShare,
): Promise<boolean> {
  const folders = new Map<string, RemoteEntry>([['', folder]]);
  const jobs = [];
  for (const { file, folders: names, handle } of picked) {
    let parent = folder;
    let key = '';
    for (const name of names) {
      key += `/${name}`;
      let next = folders.get(key);
      if (!next) {
        next = await tree.ensureFolder(parent, name);
        folders.set(key, next);
      }
      parent = next;
    }
    jobs.push({ file, parent, ...(handle ? { handle } : {}), ...(shared ? { shared } : {}) });
  }
  uploads.add(jobs);
  return folders.size > 1;
}

/** Refreshes a view's listing when an upload lands in the folder it shows (bursts coalesced). */
export function useRefreshOnLanded(
  uploads: UploadManager,
  folderId: string | undefined,
  refresh: () => Promise<void>,
) {
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    uploads.onDone = (parentId) => {
      if (parentId !== folderId) return;
      clearTimeout(timer);
      timer = setTimeout(() => void refresh(), 250);
    };
    return () => {
      uploads.onDone = undefined;
      clearTimeout(timer);
    };
  }, [uploads, folderId, refresh]);
}
