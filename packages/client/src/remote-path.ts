// Remote paths as users type them (`/photos/2024/a.jpg`): split into names, with `.` and empty
// segments dropped and `..` refused (the server has no paths, only encrypted names, so a path is
// resolved one name at a time from the root).

/** Splits a remote path into its names. `/`, `` and `.` are the root (no names). */
export function splitRemotePath(path: string): string[] {
  const names: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') throw new Error(`remote paths may not contain "..": ${path}`);
    names.push(segment.normalize('NFC'));
  }
  return names;
}

/** Joins names back into an absolute remote path. */
export function joinRemotePath(names: readonly string[]): string {
  return '/' + names.join('/');
}

/** Checks a single file or folder name; returns it NFC-normalized. */
export function validateName(name: string): string {
  const normalized = name.normalize('NFC');
  if (normalized === '' || normalized === '.' || normalized === '..' || normalized.includes('/')) {
    throw new Error(`invalid name: ${JSON.stringify(name)}`);
  }
  if (new TextEncoder().encode(normalized).length > 1024) throw new Error('name too long (max 1024 bytes)');
  return normalized;
}
