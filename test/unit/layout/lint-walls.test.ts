import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The lint rules of eslint.config.js keep the walls of LAYOUT.md where code is typed; these cases
 * prove each rule fires (and stays quiet on what the walls allow), so a config change that silently
 * drops a wall fails here. The walls test proves the same walls over the resolved import graph.
 */
const eslint = new ESLint({ cwd: fileURLToPath(new URL('../../../', import.meta.url)) });

async function findings(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.line}: ${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('lint walls', { timeout: 60_000 }, () => {
  it('workflows/ loads no Node built-in, no pg, no config and activities as types only', async () => {
    const found = await findings(
      'workflows/endorsement/probe.ts',
      [
        "import { readFileSync } from 'node:fs';",
        "import { Pool } from 'pg';",
        "import { loadConfig } from '../../config/env';",
        "import { createActivities } from '../../activities/endorsement/index';",
        "import type { Activities } from '../../activities/endorsement/index';",
        "import { sha256Hex } from '../../domain/non-workflow/sha256';",
        "import { defaultKernel } from '../../domain/kernel/default-kernel';",
        'export const probe: unknown[] = [readFileSync, Pool, loadConfig, createActivities, sha256Hex, defaultKernel];',
        'export type Probe = Activities;',
        '',
      ].join('\n'),
    );
    expect(found.map((f) => f.split(':')[0])).toEqual(['1', '2', '3', '4', '6']);
    expect(found.every((f) => f.includes('no-restricted-imports'))).toBe(true);
  });

  it('domain/ imports nothing with effects, except its non-workflow/ room may use Node', async () => {
    const pure = await findings(
      'domain/delegation/probe.ts',
      "import { createHash } from 'node:crypto';\nimport { pool } from '../../db/pool';\nimport { x } from '../guard/x';\nexport const p = [createHash, pool, x];\n",
    );
    expect(pure.map((f) => f.split(':')[0])).toEqual(['1', '2']);
    const nodeRoom = await findings(
      'domain/non-workflow/probe.ts',
      "import { createHash } from 'node:crypto';\nexport const p = createHash;\n",
    );
    expect(nodeRoom).toEqual([]);
  });

  it('client/ and api/ never import activities/; no room imports a room above it', async () => {
    const client = await findings(
      'client/probe.ts',
      "import { a } from '../activities/endorsement/index';\nimport { d } from '../db/pool';\nexport const p = [a, d];\n",
    );
    expect(client).toHaveLength(1);
    expect(client[0]).toMatch(/^1: .*client\/ may not import this room/);
    const api = await findings(
      'api/routes/probe.ts',
      "import { a } from '../../activities/guard/index';\nimport { w } from '../../worker/main';\nexport const p = [a, w];\n",
    );
    expect(api.map((f) => f.split(':')[0])).toEqual(['1', '2']);
    const db = await findings(
      'db/endorsement/probe.ts',
      "import { c } from '../../client/endorsement';\nexport const p = c;\n",
    );
    expect(db).toHaveLength(1);
  });

  it("client/ and activities/ reach workflows/ through a loop's contract.ts alone; api/ and cli/ not at all", async () => {
    const client = await findings(
      'client/probe.ts',
      "import { ref } from './../workflows/guard/contract';\nimport { m } from '../workflows/guard/proposal-machine';\nexport const p = [ref, m];\n",
    );
    expect(client.map((f) => f.split(':')[0])).toEqual(['2']);
    const activity = await findings(
      'activities/guard/probe.ts',
      "import { ref } from '../../workflows/guard/contract';\nexport const p = ref;\n",
    );
    expect(activity).toEqual([]);
    const cli = await findings(
      'cli/commands/probe.ts',
      "import { ref } from '../../workflows/guard/contract';\nexport const p = ref;\n",
    );
    expect(cli).toHaveLength(1);
  });

  it('only db/ loads the database driver and sends SQL', async () => {
    const client = await findings(
      'client/probe.ts',
      "import { Pool } from 'pg';\nexport const p = [Pool, 'SELECT id FROM agents', `DELETE FROM agents WHERE id = $1`];\n",
    );
    expect(client.map((f) => f.split(':').slice(0, 2).join(':'))).toEqual([
      '1: @typescript-eslint/no-restricted-imports',
      '2: no-restricted-syntax',
      '2: no-restricted-syntax',
    ]);
    const types = await findings(
      'client/probe.ts',
      "import type { Pool } from 'pg';\nexport type P = Pool;\nexport const help = 'select the rows you want';\n",
    );
    expect(types).toEqual([]);
    const db = await findings(
      'db/endorsement/probe.ts',
      "import { Pool } from 'pg';\nexport const p = [Pool, 'SELECT id FROM agents'];\n",
    );
    expect(db).toEqual([]);
  });
});
