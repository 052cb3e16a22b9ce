// Writes docs/API.md from the protocol's route table. Run after changing a schema:
//   npx tsc -b packages/server && node packages/server/dist/scripts/generate-api-doc.js
// A test in packages/protocol fails while docs/API.md and the schemas disagree.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderApiMarkdown } from '@hoard/protocol';

const target = join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'API.md');
writeFileSync(target, renderApiMarkdown());
console.log(`wrote ${target}`);
