import { readFileSync } from 'node:fs';
import type { TemporalConfig } from './env';

/** Connection options shared by the client (Connection) and the worker (NativeConnection). */
export function temporalConnectionOptions(t: TemporalConfig) {
  const tls = t.tls
    ? {
        serverNameOverride: t.tls.serverName,
        serverRootCACertificate: t.tls.caPath ? readFileSync(t.tls.caPath) : undefined,
        clientCertPair:
          t.tls.certPath && t.tls.keyPath
            ? { crt: readFileSync(t.tls.certPath), key: readFileSync(t.tls.keyPath) }
            : undefined,
      }
    : false;
  return { address: t.address, tls, apiKey: t.apiKey };
}
