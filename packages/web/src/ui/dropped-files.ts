// Files and whole folders from a drop or a folder picker, with their paths relative to what was
// dropped ("trip/day 1/a.jpg"), read through the File and Directory Entries API.

export interface PickedFile {
  file: File;
  /** Folders between the drop target and the file, e.g. ['trip', 'day 1'] (empty for a file). */
  folders: string[];
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

/** Everything in a drop (must be called synchronously inside the drop event handler). */
export function filesOfDrop(data: DataTransfer): Promise<PickedFile[]> {
  const entries = [...data.items]
    .filter((item) => item.kind === 'file')
    .map((item) => ({ entry: item.webkitGetAsEntry(), file: item.getAsFile() }));
  return (async () => {
    const out: PickedFile[] = [];
    for (const { entry, file } of entries) {
      if (entry) await walk(entry, [], out);
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
