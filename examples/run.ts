/**
 * `npm run example -- <name>`: runs one of the seed documents' examples against the stack this
 * environment points at (by default the one `npm start` runs).
 */
// A module (for the top-level await below), though it exports nothing.
export {};

const EXAMPLES: Record<string, () => Promise<unknown>> = {
  'staged-approval': () => import('./staged-approval'),
  'delegation-review': () => import('./delegation-review'),
  'guard-loop': () => import('./guard-loop'),
  'ai-sdk': () => import('./ai-sdk'),
};

const name = process.argv[2] ?? '';
const run = EXAMPLES[name];
if (!run) {
  console.error(`usage: npm run example -- <name>, where name is one of: ${Object.keys(EXAMPLES).join(', ')}`);
  process.exit(2);
}
try {
  await run();
} catch (error) {
  console.error(`example ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
