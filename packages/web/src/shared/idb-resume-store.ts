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

/** What the page shows about an upload that a reload interrupted (no key, no content). */
export interface PendingUpload {
  resumeKey: string;
  name: string;
  folderPath: string;
  sizeBytes: number;
}

/** The resume key of a file picked into a folder: the same file picked again finds its record. */
export function resumeKeyOf(parentId: string, name: string, file: { size: number; lastModified: number }) {
  return `${parentId}/${name}/${file.size}/${file.lastModified}`;
}
