// How an upload is cut into parts: S3-compatible sizes (>= 5 MiB, at most 10,000 parts), so that the
// same numbers work for the local store and for S3 multipart. Pure arithmetic, no I/O.
import { DEFAULT_PART_SIZE_BYTES, MAX_PART_COUNT, MIN_PART_SIZE_BYTES } from '@hoard/protocol';

const MiB = 1024 * 1024;

/** The largest upload accepted unless configured otherwise: 5 TiB (S3's largest object). */
export const DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024 * MiB;

export interface UploadGeometry {
  sizeBytes: number;
  partSizeBytes: number;
  partCount: number;
}

/**
 * The part size and count for an upload of `sizeBytes`: 8 MiB parts, grown (in whole MiB) just
 * enough that there are at most 10,000. Every upload has at least one part (an empty one for 0 bytes).
 */
export function uploadGeometry(sizeBytes: number): UploadGeometry {
  const grown = Math.ceil(sizeBytes / MAX_PART_COUNT / MiB) * MiB;
  const partSizeBytes = Math.max(DEFAULT_PART_SIZE_BYTES, MIN_PART_SIZE_BYTES, grown);
  const partCount = Math.max(1, Math.ceil(sizeBytes / partSizeBytes));
  return { sizeBytes, partSizeBytes, partCount };
}

/** Where part `partNumber` (1-based) starts and how many bytes it holds (the last one: the rest). */
export function partExtent(
  geometry: UploadGeometry,
  partNumber: number,
): { offsetBytes: number; sizeBytes: number } {
  const offsetBytes = (partNumber - 1) * geometry.partSizeBytes;
  const sizeBytes =
    partNumber < geometry.partCount ? geometry.partSizeBytes : geometry.sizeBytes - offsetBytes;
  return { offsetBytes, sizeBytes };
}
