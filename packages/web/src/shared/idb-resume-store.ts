// The uploader's ResumeStore in IndexedDB, so an upload continues after a reload or a crash. A
// record holds no raw key (the version key is wrapped under the master key; see resume-store.ts).
import type { ResumeStore, UploadResumeRecord } from '@hoard/client';
import { idbDelete, idbGet, idbSet } from './idb';

export class IdbResumeStore implements ResumeStore {
  get(key: string): Promise<UploadResumeRecord | undefined> {
    return idbGet<UploadResumeRecord>('uploads', key);
  }
  set(key: string, record: UploadResumeRecord): Promise<void> {
    return idbSet('uploads', key, record);
  }
  delete(key: string): Promise<void> {
    return idbDelete('uploads', key);
  }
}

/**
 * What the page keeps about an upload that a reload may interrupt (no key, no content): enough to
 * show it, to find its folder again and, with the file's handle, to read the file again.
 */
export interface PendingUpload {
  resumeKey: string;
  name: string;
  /** The folder's path; in a folder shared with this account (`shareId`), from its name down. */
  folderPath: string;
  sizeBytes: number;
  /** Into a folder shared with this account: the share's id. */
  shareId?: string;
  /** The file's handle (File System Access), where the browser gave one: no picking again. */
  handle?: FileSystemFileHandle;
}

/** The resume key of a file picked into a folder: the same file picked again finds its record. */
export function resumeKeyOf(parentId: string, name: string, file: { size: number; lastModified: number }) {
  return `${parentId}/${name}/${file.size}/${file.lastModified}`;
}
