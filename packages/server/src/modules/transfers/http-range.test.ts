import { describe, expect, it } from 'vitest';
import { decideRange } from './http-range.js';

const etag = '"v1"';

describe('decideRange', () => {
  it('sends everything without a Range header', () => {
    expect(decideRange(100, etag, undefined, undefined)).toEqual({ kind: 'full' });
  });

  it('takes first-last, first- and -suffix ranges, clamping the end to the size', () => {
    expect(decideRange(100, etag, 'bytes=0-0', undefined)).toEqual({ kind: 'partial', start: 0, end: 0 });
    expect(decideRange(100, etag, 'bytes=10-', undefined)).toEqual({ kind: 'partial', start: 10, end: 99 });
    expect(decideRange(100, etag, 'bytes=-10', undefined)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(decideRange(100, etag, 'bytes=-1000', undefined)).toEqual({ kind: 'partial', start: 0, end: 99 });
    expect(decideRange(100, etag, 'bytes=50-1000', undefined)).toEqual({
      kind: 'partial',
      start: 50,
      end: 99,
    });
    expect(decideRange(100, etag, 'Bytes= 5 - 6', undefined)).toEqual({ kind: 'partial', start: 5, end: 6 });
  });

  it('finds ranges that start past the end, are reversed or malformed unsatisfiable', () => {
    for (const range of [
      'bytes=100-',
      'bytes=100-200',
      'bytes=5-4',
      'bytes=-0',
      'bytes=-',
      'bytes=a-b',
      'bytes=1-2-3',
    ]) {
      expect(decideRange(100, etag, range, undefined), range).toEqual({ kind: 'unsatisfiable' });
    }
    expect(decideRange(0, etag, 'bytes=0-', undefined)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange(0, etag, 'bytes=-5', undefined)).toEqual({ kind: 'unsatisfiable' });
  });

  it('ignores other units and several ranges (the RFC allows sending everything)', () => {
    expect(decideRange(100, etag, 'items=0-5', undefined)).toEqual({ kind: 'full' });
    expect(decideRange(100, etag, 'bytes=0-5,10-20', undefined)).toEqual({ kind: 'full' });
  });

  it('applies the range only when If-Range matches the strong ETag exactly', () => {
    expect(decideRange(100, etag, 'bytes=0-5', '"v1"')).toEqual({ kind: 'partial', start: 0, end: 5 });
    expect(decideRange(100, etag, 'bytes=0-5', '"v2"')).toEqual({ kind: 'full' });
    expect(decideRange(100, etag, 'bytes=0-5', 'W/"v1"')).toEqual({ kind: 'full' });
    expect(decideRange(100, etag, 'bytes=0-5', 'Wed, 21 Oct 2015 07:28:00 GMT')).toEqual({ kind: 'full' });
    expect(decideRange(100, etag, 'bytes=500-', '"v2"')).toEqual({ kind: 'full' });
  });
});
