import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** README's "Where the code lives" must match the tree: what it names exists, and every loop's folder is named. */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`## ${title}\n`);
  if (start < 0) return '';
  const next = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, next < 0 ? undefined : next);
}

const map = section('Where the code lives');
/** Every `path` the map names: backticked, with a slash or a file extension, no spaces. */
const named = [...map.matchAll(/`([^`\s]+)`/g)]
  .map((m) => m[1]!)
  .filter((p) => p.includes('/') || /\.(ts|md|sql)$/.test(p));
const links = [...map.matchAll(/\]\(([^)#]+)\)/g)].map((m) => m[1]!);

const folders = (dir: string) =>
  readdirSync(join(root, dir)).filter((name) => statSync(join(root, dir, name)).isDirectory());

describe("README's map of the code", () => {
  it('is there, and names what it names by existing paths', () => {
    expect(named.length).toBeGreaterThan(50);
    const missing = [...named.map((p) => p.replace(/<loop>\/?/, '')), ...links].filter(
      (p) => !existsSync(join(root, p)),
    );
    expect(missing).toEqual([]);
  });

  it("names every loop's folder in every room and every test folder", () => {
    const expected = [
      ...['domain', 'db', 'workflows', 'activities'].flatMap((room) =>
        folders(room)
          .filter((f) => f !== 'migrations')
          .map((f) => `${room}/${f}/`),
      ),
      ...['test/unit', 'test/integration'].flatMap((room) => folders(room).map((f) => `${room}/${f}/`)),
      ...readdirSync(join(root, 'test/timeskip')).map((f) => `test/timeskip/${f}`),
      ...readdirSync(join(root, 'api/routes'))
        .filter((f) => !['index.ts', 'openapi.ts'].includes(f))
        .map((f) => `api/routes/${f}`),
      ...readdirSync(join(root, 'cli/commands')).map((f) => `cli/commands/${f}`),
      ...readdirSync(join(root, 'demo'))
        .filter((f) => f !== 'seed.ts')
        .map((f) => `demo/${f}`),
    ];
    expect(expected.filter((path) => !named.includes(path))).toEqual([]);
  });
});
