// HTTP Range headers as the service worker answers them (one range; what media elements send).

/** Parses `bytes=a-b`, `bytes=a-` and `bytes=-n` against a size; undefined when not satisfiable. */
export function parseRange(header: string, sizeBytes: number): { start: number; end: number } | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Math.min(Number(match[2]), sizeBytes);
    return suffix > 0 ? { start: sizeBytes - suffix, end: sizeBytes } : undefined;
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? sizeBytes : Math.min(Number(match[2]) + 1, sizeBytes);
  return start < sizeBytes && start < end ? { start, end } : undefined;
}
