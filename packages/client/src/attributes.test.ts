import { describe, expect, it } from 'vitest';
import { versionAttributesSchema } from './attributes.js';

describe('version attributes', () => {
  it('keeps a thumbnail that is a small data: URL of a WebP, JPEG or PNG image', () => {
    const thumbnail = 'data:image/webp;base64,UklGRiQAAABXRUJQVlA4IBgAAAAwAQCdASoBAAEAAwA0JaQAA3AA/vuUAAA=';
    expect(versionAttributesSchema.parse({ sizeBytes: 1, thumbnail }).thumbnail).toBe(thumbnail);
  });

  it('refuses any other thumbnail a crafted attribute could carry', () => {
    for (const thumbnail of [
      'javascript:alert(1)',
      'data:text/html;base64,PHNjcmlwdD4=',
      'data:image/svg+xml;base64,PHN2Zz4=',
      'https://tracker.example/pixel.png',
      `data:image/png;base64,${'A'.repeat(12_000)}`,
    ]) {
      expect(() => versionAttributesSchema.parse({ sizeBytes: 1, thumbnail })).toThrow();
    }
  });
});
