import { describe, expect, it } from 'vitest';
import { CompiledPackages, isModuleDownload, moduleDirOf, packagesOf } from '../../../toolchain/go-build-output';

describe('reading go command output for build progress', () => {
  it('takes the module directory from go mod download -json, and nothing from an error', () => {
    const ok = JSON.stringify(
      {
        Path: 'github.com/temporalio/cli',
        Version: 'v1.5.1',
        Dir: '/root/go/pkg/mod/github.com/temporalio/cli@v1.5.1',
      },
      null,
      '\t',
    );
    expect(moduleDirOf(ok)).toBe('/root/go/pkg/mod/github.com/temporalio/cli@v1.5.1');
    expect(moduleDirOf(JSON.stringify({ Path: 'x', Version: 'v9', Error: 'unknown revision v9' }))).toBeUndefined();
    expect(
      moduleDirOf(JSON.stringify({ Path: 'x', Version: 'v9', Dir: '/d', Error: 'checksum mismatch' })),
    ).toBeUndefined();
    expect(moduleDirOf('go: not a module')).toBeUndefined();
  });

  it('lists each package of go list -deps once, skipping blank lines', () => {
    expect(
      packagesOf('internal/goarch\nunsafe\n\ninternal/abi\nunsafe\ngithub.com/temporalio/cli/cmd/temporal\n'),
    ).toEqual(['internal/goarch', 'unsafe', 'internal/abi', 'github.com/temporalio/cli/cmd/temporal']);
  });

  it('recognises module downloads and nothing else', () => {
    expect(isModuleDownload('go: downloading github.com/spf13/cobra v1.9.1')).toBe(true);
    expect(isModuleDownload('go: finding module for package x')).toBe(false);
    expect(isModuleDownload('github.com/spf13/cobra')).toBe(false);
  });

  it('counts each listed package once as it is compiled, ignoring other lines', () => {
    const compiled = new CompiledPackages(['runtime', 'internal/abi', 'github.com/temporalio/cli/cmd/temporal']);
    expect(compiled.total).toBe(3);
    const counted = ['internal/abi', '# github.com/x/y', 'internal/abi', 'warning: something', 'runtime'].map((line) =>
      compiled.record(line),
    );
    expect(counted).toEqual([true, false, false, false, true]);
    expect(compiled.done).toBe(2);
    expect(compiled.record('github.com/temporalio/cli/cmd/temporal\r')).toBe(true);
    expect(compiled.done).toBe(compiled.total);
  });
});
