/** A toolchain piece (Temporal CLI, test server) that cannot be had; its message says what to install. */
export class ToolchainError extends Error {
  override name = 'ToolchainError';
}
