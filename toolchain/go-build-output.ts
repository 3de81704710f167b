/**
 * Reading what the go command prints while it fetches and compiles a module, so a build of the
 * Temporal CLI can show real progress instead of elapsed seconds.
 */

/** The module's source directory from `go mod download -json <module>@<version>`. */
export function moduleDirOf(downloadJson: string): string | undefined {
  try {
    const parsed = JSON.parse(downloadJson) as { Dir?: unknown; Error?: unknown };
    return typeof parsed.Dir === 'string' && parsed.Dir !== '' && parsed.Error === undefined ? parsed.Dir : undefined;
  } catch {
    return undefined;
  }
}

/** The import paths `go list -deps` prints, one a line: the packages a build compiles at most. */
export function packagesOf(listOutput: string): string[] {
  return [
    ...new Set(
      listOutput
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.includes(' ')),
    ),
  ];
}

/** `go: downloading github.com/foo/bar v1.2.3`: one module fetched. */
export function isModuleDownload(line: string): boolean {
  return /^go: downloading \S+ \S+$/.test(line.trim());
}

/**
 * Counts the packages `go install -v` names as it compiles them. Only names of the listed build
 * count, each once: anything else the command prints (warnings, errors) is not progress.
 */
export class CompiledPackages {
  private readonly pending: Set<string>;
  readonly total: number;

  constructor(packages: readonly string[]) {
    this.pending = new Set(packages);
    this.total = this.pending.size;
  }

  get done(): number {
    return this.total - this.pending.size;
  }

  /** True when `line` is a package of the build compiled for the first time. */
  record(line: string): boolean {
    return this.pending.delete(line.trim());
  }
}
