import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const MAX_LINES = 80;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every function, method, arrow function and class member body in a file, with its length in lines. */
function functionLengths(path: string): { name: string; lines: number }[] {
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: { name: string; lines: number }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = 'name' in node && node.name ? node.name.getText(file) : `(anonymous at line ${start + 1})`;
      found.push({ name: `${relative(root, path)}: ${name}`, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('small workflows (issue #12)', () => {
  it(`has no function over ${MAX_LINES} lines in workflows/: state machines are classes, workflow functions wire them`, () => {
    const all = sources(join(root, 'workflows')).flatMap(functionLengths);
    expect(all.length).toBeGreaterThan(20);
    expect(all.filter((f) => f.lines > MAX_LINES)).toEqual([]);
  });
});
