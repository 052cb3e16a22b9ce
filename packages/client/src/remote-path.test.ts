import { describe, expect, it } from 'vitest';
import { joinRemotePath, splitRemotePath, validateName } from './remote-path.js';

describe('remote paths', () => {
  it('splits paths into names, ignoring empty and "." segments', () => {
    expect(splitRemotePath('/photos/2024/a.jpg')).toEqual(['photos', '2024', 'a.jpg']);
    expect(splitRemotePath('photos//./2024/')).toEqual(['photos', '2024']);
    expect(splitRemotePath('/')).toEqual([]);
    expect(splitRemotePath('')).toEqual([]);
  });

  it('refuses ".." instead of guessing what it means', () => {
    expect(() => splitRemotePath('/a/../b')).toThrow(/\.\./);
  });

  it('normalizes names to NFC so the same name always hashes the same', () => {
    expect(splitRemotePath('/cafe\u0301')).toEqual(['caf\u00e9']);
    expect(validateName('cafe\u0301')).toBe('caf\u00e9');
  });

  it('joins names back into an absolute path', () => {
    expect(joinRemotePath(['a', 'b'])).toBe('/a/b');
    expect(joinRemotePath([])).toBe('/');
  });

  it('rejects empty, dot, slashed and over-long names', () => {
    for (const bad of ['', '.', '..', 'a/b', 'x'.repeat(1025)]) expect(() => validateName(bad)).toThrow();
  });
});
