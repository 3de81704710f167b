import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LITELLM_REQUIREMENT } from '../../../toolchain/litellm-proxy';

const lock = readFileSync(new URL('../../../toolchain/litellm-proxy.lock.txt', import.meta.url), 'utf8');
const source = readFileSync(new URL('../../../toolchain/litellm-proxy.ts', import.meta.url), 'utf8');

/** The lock's requirements: `name==version` with the hashes that follow it (comments and continuations joined). */
function requirements(): { name: string; version: string; hashes: string[] }[] {
  const joined = lock
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n')
    .replace(/\\\n\s*/g, ' ');
  return joined
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [spec, ...rest] = l.trim().split(/\s+/);
      const [name, version] = spec!.split('==');
      return { name: name!, version: version ?? '', hashes: rest };
    });
}

describe('the LiteLLM proxy install is locked with hashes', () => {
  it('pins every package to one version with a SHA-256, litellm itself at the required version', () => {
    const reqs = requirements();
    expect(reqs.length).toBeGreaterThan(50);
    for (const r of reqs) {
      expect(r.version, r.name).toMatch(/^\d[\w.]*$/);
      expect(r.hashes.length, r.name).toBeGreaterThan(0);
      for (const h of r.hashes) expect(h, r.name).toMatch(/^--hash=sha256:[0-9a-f]{64}$/);
    }
    expect(new Set(reqs.map((r) => r.name.toLowerCase())).size).toBe(reqs.length);
    const litellm = reqs.find((r) => r.name === 'litellm');
    expect(`litellm[proxy]==${litellm?.version}`).toBe(LITELLM_REQUIREMENT);
  });

  it('installs from the lock with --require-hashes, never the bare requirement', () => {
    const args = source.slice(source.indexOf("'install',"), source.indexOf('LOCK,\n'));
    expect(args).toContain("'--require-hashes'");
    expect(args).toContain("'-r'");
    expect(args).not.toContain('LITELLM_REQUIREMENT');
  });
});
