import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderApiMarkdown } from './api-doc.js';
import { routes } from './routes.js';

const apiMd = join(import.meta.dirname, '..', '..', '..', 'docs', 'API.md');

describe('docs/API.md', () => {
  it('matches the route table (regenerate: npx tsc -b packages/server && node packages/server/dist/scripts/generate-api-doc.js)', () => {
    expect(readFileSync(apiMd, 'utf8')).toBe(renderApiMarkdown());
  });

  it('documents every route of the table', () => {
    const text = renderApiMarkdown();
    for (const spec of Object.values(routes)) expect(text).toContain(`### ${spec.method} ${spec.path}\n`);
  });
});
