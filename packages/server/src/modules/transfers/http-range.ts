// HTTP Range (RFC 9110 section 14) for ciphertext downloads: one byte range per request, If-Range
// against the version's strong ETag. Pure functions, no I/O.

export type RangeDecision =
  /** Send the whole content with 200. */
  | { kind: 'full' }
  /** Send bytes start..end (inclusive) with 206. */
  | { kind: 'partial'; start: number; end: number }
  /** Answer 416 with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * Decides what to send for a `Range` header on content of `sizeBytes` whose ETag is `etag`.
 * A Range of another unit, or several ranges, is ignored (the RFC allows it); an If-Range that
 * does not match the ETag exactly (or is a date: we send no Last-Modified) means "send it all".
 */
export function decideRange(
  sizeBytes: number,
  etag: string,
  rangeHeader: string | undefined,
  ifRangeHeader: string | undefined,
): RangeDecision {
  if (rangeHeader === undefined) return { kind: 'full' };
  const header = rangeHeader.trim();
  if (!/^bytes=/i.test(header)) return { kind: 'full' };
  if (ifRangeHeader !== undefined && ifRangeHeader.trim() !== etag) return { kind: 'full' };
  const spec = header.replace(/^bytes=/i, 'bytes=').replace(/\s+/g, '');
  if (spec.includes(',')) return { kind: 'full' };
  const match = SINGLE_RANGE.exec(spec);
  if (!match) return { kind: 'unsatisfiable' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'unsatisfiable' };
  if (first === '') {
    // Suffix range: the last N bytes.
    const suffixBytes = Number(last);
    if (!Number.isSafeInteger(suffixBytes) || suffixBytes === 0 || sizeBytes === 0)
      return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, sizeBytes - suffixBytes), end: sizeBytes - 1 };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start) || start >= sizeBytes) return { kind: 'unsatisfiable' };
  if (last === '') return { kind: 'partial', start, end: sizeBytes - 1 };
  const end = Number(last);
  if (!Number.isSafeInteger(end) || end < start) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end, sizeBytes - 1) };
}
