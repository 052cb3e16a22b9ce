import { describe, expect, it } from 'vitest';
import { formatBytes } from './format-bytes.js';

describe('formatBytes', () => {
  it('shows sizes in the SI units storage is sold in', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.0 kB');
    expect(formatBytes(3 * 1024 * 1024 + 5)).toBe('3.1 MB');
    expect(formatBytes(999_600)).toBe('1.0 MB');
    expect(formatBytes(100_000_000_000)).toBe('100 GB');
    expect(formatBytes(1_000_000_000_000)).toBe('1.0 TB');
  });
});
