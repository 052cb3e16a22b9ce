// Files and whole folders from a drop or a picker, with their paths relative to what was dropped
// ("trip/day 1/a.jpg"). Where the browser gives file handles (File System Access: Chromium's
// showOpenFilePicker and DataTransferItem.getAsFileSystemHandle), each file keeps its handle: the
// upload manager stores it in IndexedDB, so an upload a reload interrupted resumes from it without
// the file being picked again. Elsewhere the File and Directory Entries API and the plain input
// serve, and such an upload must be picked again after a reload.

export interface PickedFile {
  file: File;
  /** Folders between the drop target and the file, e.g. ['trip', 'day 1'] (empty for a file). */
  folders: string[];
  /** The file's handle, where the browser gave one (it outlives a reload in IndexedDB). */
  handle?: FileSystemFileHandle;
}

/** The parts of File System Access that TypeScript's DOM types do not have yet. */
interface HandleItem {
  getAsFileSystemHandle?(): Promise<FileSystemHandle | null>;
}
interface PermissionHandle {
  queryPermission?(descriptor: { mode: 'read' }): Promise<PermissionState>;
  requestPermission?(descriptor: { mode: 'read' }): Promise<PermissionState>;
}

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, folders: string[], out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject),
    );
    out.push({ file, folders });
  } else if (entry.isDirectory) {
    const children = await readAllEntries((entry as FileSystemDirectoryEntry).createReader());
    for (const child of children) await walk(child, [...folders, entry.name], out);
  }
}

async function walkHandle(handle: FileSystemHandle, folders: string[], out: PickedFile[]): Promise<void> {
  if (handle.kind === 'file') {
    const fileHandle = handle as FileSystemFileHandle;
    out.push({ file: await fileHandle.getFile(), folders, handle: fileHandle });
  } else {
    for await (const child of (handle as FileSystemDirectoryHandle).values())
      await walkHandle(child, [...folders, handle.name], out);
  }
}

/** Everything in a drop (must be called synchronously inside the drop event handler). */
export function filesOfDrop(data: DataTransfer): Promise<PickedFile[]> {
  // Every item is asked at once: a DataTransfer is emptied when the event handler returns.
  const items = [...data.items]
    .filter((item) => item.kind === 'file')
    .map((item) => ({
      handle: (item as DataTransferItem & HandleItem).getAsFileSystemHandle?.().catch(() => null),
      entry: item.webkitGetAsEntry(),
      file: item.getAsFile(),
    }));
  return (async () => {
    const out: PickedFile[] = [];
    for (const { handle, entry, file } of items) {
      const fsHandle = await handle;
      if (fsHandle) await walkHandle(fsHandle, [], out);
      else if (entry) await walk(entry, [], out);
      else if (file) out.push({ file, folders: [] });
    }
    return out;
  })();
}

/** The files of an <input type="file"> (with webkitdirectory, their folders too). */
export function filesOfInput(files: FileList): PickedFile[] {
  return [...files].map((file) => {
    const parts = (file.webkitRelativePath || file.name).split('/');
    parts.pop();
    return { file, folders: parts };
  });
}

/**
 * Picking through the browser's pickers that give handles (Chromium's showOpenFilePicker for files,
 * showDirectoryPicker for a folder, its files under the folder's name as the folder input gives
 * them); undefined where the browser has no such picker. A cancelled pick rejects with AbortError.
 */
export function handlePicking(kind: 'files' | 'folder'): (() => Promise<PickedFile[]>) | undefined {
  const pickers = window as unknown as {
    showOpenFilePicker?: (options: { multiple: boolean }) => Promise<FileSystemFileHandle[]>;
    showDirectoryPicker?: () => Promise<FileSystemDirectoryHandle>;
  };
  if (kind === 'files') {
    const picker = pickers.showOpenFilePicker;
    if (!picker) return undefined;
    return async () => {
      const handles = await picker.call(window, { multiple: true });
      return Promise.all(
        handles.map(async (handle) => ({ file: await handle.getFile(), folders: [], handle })),
      );
    };
  }
  const picker = pickers.showDirectoryPicker;
  if (!picker) return undefined;
  return async () => {
    const out: PickedFile[] = [];
    await walkHandle(await picker.call(window), [], out);
    return out;
  };
}

/**
 * The file behind a stored handle, read permission asked for if the browser wants it (call it from
 * a click: the browser may show a prompt); undefined when the file may not be read any more.
 */
export async function fileOfHandle(handle: FileSystemFileHandle): Promise<File | undefined> {
  const permissions = handle as FileSystemFileHandle & PermissionHandle;
  let state = (await permissions.queryPermission?.({ mode: 'read' })) ?? 'granted';
  if (state === 'prompt') state = (await permissions.requestPermission?.({ mode: 'read' })) ?? 'denied';
  if (state !== 'granted') return undefined;
  try {
    return await handle.getFile();
  } catch {
    return undefined; // moved or deleted since
  }
}
