import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Every run of a workflow evaluates the modules its loop imports (the SDK gives each run a module
// cache of its own) and a cached run keeps them: the delegation and endorsement loops' workflows must
// not reach zod, which was most of what a review or endorsement run evaluated (BENCHMARKS.md §5).
// Type-only imports are erased.

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The modules an import of `entry` evaluates: project files by path, packages by name. */
function evaluatedFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (path: string) => {
    const name = relative(root, path);
    if (seen.has(name)) return;
    seen.add(name);
    const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
    const specifiers: string[] = [];
    const collect = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
        const bindings = node.importClause?.namedBindings;
        const typesOnly =
          bindings !== undefined &&
          ts.isNamedImports(bindings) &&
          node.importClause?.name === undefined &&
          bindings.elements.length > 0 &&
          bindings.elements.every((e) => e.isTypeOnly);
        if (!typesOnly) specifiers.push((node.moduleSpecifier as ts.StringLiteral).text);
      } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier) {
        specifiers.push((node.moduleSpecifier as ts.StringLiteral).text);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [arg] = node.arguments;
        if (arg && ts.isStringLiteral(arg)) specifiers.push(arg.text);
      }
      ts.forEachChild(node, collect);
    };
    collect(file);
    for (const spec of specifiers) {
      if (!spec.startsWith('.')) {
        seen.add(spec);
        continue;
      }
      const base = join(dirname(path), spec);
      visit([`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p)) ?? base);
    }
  };
  visit(entry);
  return seen;
}

// Each loop: the entry its runs import, a module of the loop's own it must reach, and the module
// that holds the boundary's zod schemas of what the workflow checks without zod.
const loops: [loop: string, entry: string, machine: string, boundary: string][] = [
  [
    'delegation (review, evaluation passes)',
    'workflows/delegation/index.ts',
    'workflows/delegation/review-machine.ts',
    'workflows/delegation/contract.ts',
  ],
  [
    'endorsement',
    'workflows/endorsement/endorsement.ts',
    'workflows/endorsement/endorsement-machine.ts',
    'workflows/endorsement/contract.ts',
  ],
  [
    'guard proposal',
    'workflows/guard/proposal.ts',
    'workflows/guard/proposal-machine.ts',
    'domain/guard/proposal-request-schemas.ts',
  ],
];

describe.each(loops)('what a %s workflow run evaluates', (_, entry, machine, boundary) => {
  it('reaches no zod from the workflows', () => {
    const modules = evaluatedFrom(join(root, entry));
    expect(modules).toContain(machine);
    expect([...modules].filter((m) => m === 'zod' || m.startsWith('zod/'))).toEqual([]);
  });

  it("finds zod where it is: the boundary's schemas", () => {
    expect(evaluatedFrom(join(root, boundary))).toContain('zod');
  });
});
