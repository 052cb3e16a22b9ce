// The package boundaries of DESIGN.md, checked on the source text so that no lint config can drift
// away from them: the server never imports the crypto package (it has nothing to decrypt), the
// dependency graph points one way, and nobody reaches past another package's src/index.ts.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const packagesDir = join(root, 'packages');

/** Which workspace packages each package may import. */
const allowed: Record<string, string[]> = {
  crypto: [],
  protocol: [],
  client: ['crypto', 'protocol'],
  server: ['protocol'],
  cli: ['client', 'crypto', 'protocol'],
  web: ['client', 'crypto', 'protocol'],
};

/**
 * Test-support entry points (a package.json "exports" subpath) that another package's tests may
 * import: the CLI's end-to-end tests start the real server through the server's own test support,
 * so that it is started one way only. Product code of the importing package still may not.
 */
const testSupport: Record<string, string[]> = {
  cli: ['@hoard/server/testing'],
};

/** Test files and test helpers (`src/testing/`): never part of a package's product code. */
function isTestCode(file: string): boolean {
  return /\.test\.ts$/.test(file) || /[/\\]src[/\\]testing[/\\]/.test(file);
}

function sourceFiles(dir: string): string[] {
  // A workspace being set up may have no sources yet: nothing to check there.
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory())
      return name === 'node_modules' || name === 'dist' ? [] : sourceFiles(path);
    return /\.(ts|tsx|mts)$/.test(name) ? [path] : [];
  });
}

function importsOf(source: string): string[] {
  const found: string[] = [];
  const re =
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(re)) found.push((m[1] ?? m[2] ?? m[3])!);
  return found;
}

const packages = readdirSync(packagesDir).filter((n) => statSync(join(packagesDir, n)).isDirectory());

describe('package boundaries', () => {
  it('knows every package', () => {
    for (const pkg of packages) expect(allowed, `add ${pkg} to the table`).toHaveProperty(pkg);
  });

  for (const pkg of packages) {
    it(`${pkg} imports only what DESIGN.md allows, and only through package entry points`, () => {
      const problems: string[] = [];
      for (const file of sourceFiles(join(packagesDir, pkg, 'src'))) {
        const rel = relative(root, file);
        for (const spec of importsOf(readFileSync(file, 'utf8'))) {
          const workspace = /^@hoard\/([^/]+)(\/.*)?$/.exec(spec);
          if (workspace && testSupport[pkg]?.includes(spec)) {
            if (!isTestCode(file)) problems.push(`${rel}: only tests may import ${spec}`);
          } else if (workspace) {
            if (workspace[2]) problems.push(`${rel}: deep import ${spec}`);
            if (!allowed[pkg]?.includes(workspace[1]!))
              problems.push(`${rel}: ${pkg} may not import ${spec}`);
          }
          if (spec.startsWith('.') && /(^|\/)packages\/|\.\.\/\.\.\/[^/]+\/src/.test(spec)) {
            problems.push(`${rel}: relative import across packages ${spec}`);
          }
        }
      }
      expect(problems).toEqual([]);
    });
  }

  it('allows only test-support entry points that the package declares, for test code', () => {
    for (const spec of Object.values(testSupport).flat()) {
      const [, pkg, subpath] = /^@hoard\/([^/]+)(\/.+)$/.exec(spec)!;
      const manifest = JSON.parse(readFileSync(join(packagesDir, pkg!, 'package.json'), 'utf8')) as {
        exports: Record<string, { source: string }>;
      };
      const entry = manifest.exports[`.${subpath}`];
      expect(entry, `${spec} in packages/${pkg}/package.json exports`).toBeDefined();
      expect(isTestCode(join(packagesDir, pkg!, entry!.source))).toBe(true);
    }
  });

  it('keeps node:* out of the isomorphic packages (crypto, protocol, client)', () => {
    const problems: string[] = [];
    for (const pkg of ['crypto', 'protocol', 'client']) {
      for (const file of sourceFiles(join(packagesDir, pkg, 'src'))) {
        if (file.endsWith('.test.ts')) continue; // tests run in Node and may read fixtures
        for (const spec of importsOf(readFileSync(file, 'utf8'))) {
          if (spec.startsWith('node:') || ['fs', 'path', 'crypto', 'stream', 'buffer'].includes(spec)) {
            problems.push(`${relative(root, file)}: ${spec}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
