import { describe, expect, it } from 'vitest';
import { parseRange } from './range.js';

describe('parseRange', () => {
  it('reads closed, open and suffix ranges, end exclusive', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 100 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 1000 });
    expect(parseRange('bytes=-10', 1000)).toEqual({ start: 990, end: 1000 });
  });

  it('clamps an end past the size and refuses a start past it', () => {
    expect(parseRange('bytes=990-5000', 1000)).toEqual({ start: 990, end: 1000 });
    expect(parseRange('bytes=1000-', 1000)).toBeUndefined();
    expect(parseRange('bytes=-0', 1000)).toBeUndefined();
  });

  it('refuses what it does not understand', () => {
    expect(parseRange('bytes=1-2,5-6', 1000)).toBeUndefined();
    expect(parseRange('items=1-2', 1000)).toBeUndefined();
    expect(parseRange('bytes=-', 1000)).toBeUndefined();
    expect(parseRange('bytes=5-2', 1000)).toBeUndefined();
  });
});
