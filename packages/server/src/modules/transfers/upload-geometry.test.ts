import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_UPLOAD_BYTES, partExtent, uploadGeometry } from './upload-geometry.js';

const MiB = 1024 * 1024;

describe('uploadGeometry', () => {
  it('uses 8 MiB parts for ordinary sizes, and one part for an empty upload', () => {
    expect(uploadGeometry(0)).toEqual({ sizeBytes: 0, partSizeBytes: 8 * MiB, partCount: 1 });
    expect(uploadGeometry(1)).toEqual({ sizeBytes: 1, partSizeBytes: 8 * MiB, partCount: 1 });
    expect(uploadGeometry(8 * MiB)).toEqual({ sizeBytes: 8 * MiB, partSizeBytes: 8 * MiB, partCount: 1 });
    expect(uploadGeometry(8 * MiB + 1)).toEqual({
      sizeBytes: 8 * MiB + 1,
      partSizeBytes: 8 * MiB,
      partCount: 2,
    });
    expect(uploadGeometry(10_000 * 8 * MiB).partCount).toBe(10_000);
  });

  it('grows parts in whole MiB so that there are at most 10,000, up to 5 TiB', () => {
    const largest = uploadGeometry(DEFAULT_MAX_UPLOAD_BYTES);
    expect(largest.partCount).toBeLessThanOrEqual(10_000);
    expect(largest.partSizeBytes % MiB).toBe(0);
  });

  it('tiles every size exactly: parts >= 5 MiB except the last, at most 10,000, ending at the size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: DEFAULT_MAX_UPLOAD_BYTES }), (sizeBytes) => {
        const g = uploadGeometry(sizeBytes);
        expect(g.partSizeBytes).toBeGreaterThanOrEqual(5 * MiB);
        expect(g.partCount).toBeGreaterThanOrEqual(1);
        expect(g.partCount).toBeLessThanOrEqual(10_000);
        const last = partExtent(g, g.partCount);
        expect(last.offsetBytes + last.sizeBytes).toBe(sizeBytes);
        expect(last.sizeBytes).toBeGreaterThanOrEqual(sizeBytes === 0 ? 0 : 1);
        expect(last.sizeBytes).toBeLessThanOrEqual(g.partSizeBytes);
        if (g.partCount > 1) expect(partExtent(g, 1)).toEqual({ offsetBytes: 0, sizeBytes: g.partSizeBytes });
      }),
    );
  });
});
