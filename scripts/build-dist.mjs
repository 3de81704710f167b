// Compiles the `warden` CLI and the processes `npm start` runs to plain JavaScript in dist/ with the
// TypeScript compiler, so each call or start runs Node on compiled modules instead of transpiling
// TypeScript through tsx every time. Plain Node on purpose: scripts/ensure-deps.mjs runs it right
// after `npm ci`.
//
// Only the modules the entry points (dist-layout.mjs) reach are compiled (followed through the imports
// that survive compilation, so type-only imports pull in nothing). Each file is transpiled on its
// own (the project is `isolatedModules`; `npm run typecheck` is where types are checked), and two
// things the sources leave to a bundler or tsx are made explicit for Node: relative imports get the
// `.js` (or `/index.js`) they omit, and `import.meta.url` still names the source file, so paths a
// module finds next to itself (migrations, the dashboard) resolve as they do under tsx.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { ENTRIES, STAMP, BUILDER_FILES, distPathOf, root, toPosix } from './dist-layout.mjs';

const compilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  esModuleInterop: true,
  isolatedModules: true,
  sourceMap: false,
};

/** The source file a relative specifier names, tried the way the bundler resolution does. */
function resolveSource(fromFile, specifier) {
  const base = resolve(dirname(fromFile), specifier);
  for (const [candidate, js] of [
    [`${base}.ts`, `${specifier}.js`],
    [join(base, 'index.ts'), `${specifier.replace(/\/$/, '')}/index.js`],
  ]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return { file: candidate, specifier: js };
  }
  throw new Error(`${relative(root, fromFile)}: cannot resolve "${specifier}" to a TypeScript source`);
}

function rewriter(sourceFile, found) {
  return (context) => {
    const { factory } = context;
    const relativeSpecifier = (node) => node && ts.isStringLiteral(node) && /^\.\.?\//.test(node.text);
    const retarget = (literal) => {
      const { file, specifier } = resolveSource(sourceFile, literal.text);
      found.add(file);
      return factory.createStringLiteral(specifier);
    };
    const visit = (node) => {
      if (ts.isImportDeclaration(node) && relativeSpecifier(node.moduleSpecifier)) {
        return factory.updateImportDeclaration(
          node,
          node.modifiers,
          node.importClause,
          retarget(node.moduleSpecifier),
          node.attributes,
        );
      }
      if (ts.isExportDeclaration(node) && relativeSpecifier(node.moduleSpecifier)) {
        return factory.updateExportDeclaration(
          node,
          node.modifiers,
          node.isTypeOnly,
          node.exportClause,
          retarget(node.moduleSpecifier),
          node.attributes,
        );
      }
      if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        relativeSpecifier(node.arguments[0])
      ) {
        return factory.updateCallExpression(node, node.expression, node.typeArguments, [
          retarget(node.arguments[0]),
          ...node.arguments.slice(1),
        ]);
      }
      // import.meta.url → the URL of the source file, reached from wherever the compiled file lives.
      if (
        ts.isPropertyAccessExpression(node) &&
        ts.isMetaProperty(node.expression) &&
        node.expression.keywordToken === ts.SyntaxKind.ImportKeyword &&
        node.name.text === 'url'
      ) {
        const back = toPosix(relative(dirname(distPathOf(sourceFile)), sourceFile));
        return factory.createPropertyAccessExpression(
          factory.createNewExpression(factory.createIdentifier('URL'), undefined, [
            factory.createStringLiteral(back),
            node,
          ]),
          'href',
        );
      }
      return ts.visitEachChild(node, visit, context);
    };
    return (file) => ts.visitNode(file, visit);
  };
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** Writes `text` to `path` through a rename, so a concurrent reader never sees half a file. */
function writeAtomically(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  const scratch = `${path}.${process.pid}.tmp`;
  writeFileSync(scratch, text);
  renameSync(scratch, path);
}

/**
 * Compiles everything the entry points reach into dist/ and writes the stamp last, listing each
 * source with its size, mtime and hash (what scripts/compiled.mjs checks before dist/ is used).
 * Returns the number of modules compiled.
 */
export function buildDist() {
  const pending = ENTRIES.map((entry) => join(root, entry));
  const seen = new Set(pending);
  const sources = {};
  while (pending.length > 0) {
    const file = pending.pop();
    const text = readFileSync(file, 'utf8');
    const found = new Set();
    const out = ts.transpileModule(text, {
      compilerOptions,
      fileName: file,
      reportDiagnostics: true,
      transformers: { after: [rewriter(file, found)] },
    });
    const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (errors.length > 0)
      throw new Error(
        ts.formatDiagnostics(errors, {
          getCanonicalFileName: (f) => f,
          getCurrentDirectory: () => root,
          getNewLine: () => '\n',
        }),
      );
    writeAtomically(distPathOf(file), out.outputText);
    const stat = statSync(file);
    sources[toPosix(relative(root, file))] = { size: stat.size, mtimeMs: stat.mtimeMs, sha256: sha256(text) };
    for (const dep of found) {
      if (!seen.has(dep)) {
        seen.add(dep);
        pending.push(dep);
      }
    }
  }
  const builder = Object.fromEntries(BUILDER_FILES.map((f) => [toPosix(relative(root, f)), sha256(readFileSync(f))]));
  writeAtomically(STAMP, JSON.stringify({ typescript: ts.version, builder, sources }, null, 1));
  return Object.keys(sources).length;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const count = buildDist();
  console.error(`warden: compiled ${count} modules to dist/ in ${Date.now() - started} ms`);
}
