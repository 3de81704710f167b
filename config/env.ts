import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The Warden clone: relative data paths are taken from here, wherever `warden` is run from. */
const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Every environment variable Warden reads, in one place. README.md's configuration table is
 * generated from the same descriptions (see `configTable`), so the two cannot drift apart.
 */
const port = z.coerce.number().int().min(1).max(65535);
const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

interface VariableSpec {
  schema: z.ZodType;
  form: string;
  description: string;
  default?: string;
}

export const variables = {
  WARDEN_DATA_DIR: {
    schema: z.string().min(1),
    form: 'a directory path',
    default: '.warden',
    description:
      'Where the embedded stack keeps its state: the Temporal SQLite file, the embedded PostgreSQL data and the generated provenance key (a relative path is taken from the Warden clone, so `warden` finds the stack from any directory). A deployed replica keeps nothing here that another replica needs: exports are in PostgreSQL, the key comes from configuration, and the workflow-bundle cache is only an optimisation.',
  },
  WARDEN_CACHE_DIR: {
    schema: z.string().min(1),
    form: 'a directory path',
    default: '~/.cache/warden',
    description:
      'Toolchain cache outside the repo: the Temporal CLI and the time-skipping test server (fetched prebuilt, or built).',
  },
  TEMPORAL_ADDRESS: {
    schema: optionalText.pipe(
      z
        .string()
        .regex(/^[^:\s]+:\d+$/, 'host:port')
        .optional(),
    ),
    form: 'host:port',
    description: 'An existing Temporal frontend. When set, Warden starts no Temporal server of its own.',
  },
  TEMPORAL_NAMESPACE: {
    schema: z.string().min(1),
    form: 'a namespace name',
    default: 'default',
    description: 'Temporal namespace for every Warden workflow.',
  },
  TEMPORAL_TASK_QUEUE: {
    schema: z.string().min(1),
    form: 'a task queue name',
    default: 'warden',
    description: 'Task queue the Warden worker polls.',
  },
  TEMPORAL_API_KEY: {
    schema: optionalText,
    form: 'an API key',
    description: 'API key for Temporal Cloud (implies TLS).',
  },
  TEMPORAL_TLS: {
    schema: flag.optional(),
    form: 'true or false',
    description: 'Use TLS to reach TEMPORAL_ADDRESS (default: true when an API key or client certificate is given).',
  },
  TEMPORAL_TLS_CERT: {
    schema: optionalText,
    form: 'a PEM file path',
    description: 'Client certificate for mTLS to Temporal.',
  },
  TEMPORAL_TLS_KEY: {
    schema: optionalText,
    form: 'a PEM file path',
    description: 'Client private key for mTLS to Temporal.',
  },
  TEMPORAL_TLS_CA: {
    schema: optionalText,
    form: 'a PEM file path',
    description:
      "CA certificate that signed the Temporal frontend's certificate (a self-hosted cluster with its own CA; Temporal Cloud needs none). Implies TLS.",
  },
  TEMPORAL_TLS_SERVER_NAME: {
    schema: optionalText,
    form: 'a host name',
    description: 'Server name override for TLS verification.',
  },
  TEMPORAL_PORT: {
    schema: port,
    form: 'a TCP port',
    default: '7233',
    description: 'gRPC port of the embedded Temporal dev server.',
  },
  TEMPORAL_UI_PORT: {
    schema: port,
    form: 'a TCP port',
    default: '8233',
    description: 'Web UI port of the embedded Temporal dev server.',
  },
  TEMPORAL_UI_URL: {
    schema: optionalText.pipe(z.url().optional()),
    form: 'a URL',
    description: 'Temporal Web UI base used in links (default: the embedded UI).',
  },
  DATABASE_URL: {
    schema: optionalText.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'postgres://…')
        .optional(),
    ),
    form: 'postgres://user:pass@host:port/db',
    description: 'An existing PostgreSQL server. When set, Warden starts no embedded database.',
  },
  WARDEN_PG_PORT: {
    schema: port,
    form: 'a TCP port',
    default: '55432',
    description: 'Port of the embedded PostgreSQL (PGlite) wire-protocol server.',
  },
  WARDEN_HTTP_PORT: {
    schema: port,
    form: 'a TCP port',
    default: '8787',
    description: 'Port of the Warden HTTP API.',
  },
  WARDEN_HTTP_HOST: {
    schema: z.string().min(1),
    form: 'an IP address',
    default: '127.0.0.1',
    description: 'Address the Warden HTTP API binds to.',
  },
  WARDEN_WORKER_HEALTH_PORT: {
    schema: optionalText.pipe(z.coerce.number<string | undefined>().int().min(1).max(65535).optional()),
    form: 'a TCP port',
    description:
      'Health endpoint (`GET /healthz`) of a worker-only process (`warden worker`) on WARDEN_HTTP_HOST:this port. Unset: none (an API process answers `/healthz` on WARDEN_HTTP_PORT).',
  },
  WARDEN_SDK_METRICS_PORT: {
    schema: optionalText.pipe(z.coerce.number<string | undefined>().int().min(1).max(65535).optional()),
    form: 'a TCP port',
    description:
      "Also serve the Temporal SDK worker metrics on WARDEN_HTTP_HOST:this port (`/metrics`). Either way they are appended to the HTTP API's `/metrics`; unset, the SDK serves them on a loopback port only that route reads.",
  },
  WARDEN_MAX_CACHED_WORKFLOWS: {
    schema: z.coerce.number<string>().int('must be a whole number').min(2, 'must be at least 2').max(100_000),
    form: 'a number',
    default: '250',
    description:
      'Workflows the worker keeps in memory between tasks (about 2 MiB each for an open review); an evicted one replays its history when it next wakes.',
  },
  WARDEN_API_URL: {
    schema: optionalText.pipe(z.url().optional()),
    form: 'a URL',
    description: 'Where `warden status` looks for the HTTP API (default: http://WARDEN_HTTP_HOST:WARDEN_HTTP_PORT).',
  },
  WARDEN_PROVENANCE_KEY: {
    schema: optionalText.pipe(
      z
        .string()
        .regex(/^[0-9a-f]{64,}$/i, 'at least 64 hex characters')
        .optional(),
    ),
    form: 'at least 64 hex characters',
    description:
      'HMAC-SHA256 key for provenance signatures, the same for every process on one database. Unset (and no WARDEN_PROVENANCE_KEY_FILE), the embedded default generates one into WARDEN_DATA_DIR/provenance.key on first start; with DATABASE_URL set a key must be given. A process whose key is not the one the chain is signed with refuses to start.',
  },
  WARDEN_PROVENANCE_KEY_FILE: {
    schema: optionalText,
    form: 'a file path',
    description:
      'A file holding the provenance key (64+ hex characters, e.g. a mounted secret), instead of WARDEN_PROVENANCE_KEY.',
  },
  WARDEN_PRINCIPAL: {
    schema: optionalText,
    form: 'a principal name',
    description: 'Default for `--as` on commands that act for a person.',
  },
  WARDEN_MODEL_BASE_URL: {
    schema: optionalText.pipe(z.url().optional()),
    form: 'a URL',
    description: 'OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio). Unset: the embedded offline model.',
  },
  WARDEN_MODEL_API_KEY: {
    schema: optionalText,
    form: 'an API key',
    description: 'API key for WARDEN_MODEL_BASE_URL.',
  },
  WARDEN_CHAT_MODEL: {
    schema: optionalText,
    form: 'a model name',
    description: 'Chat model name at WARDEN_MODEL_BASE_URL.',
  },
  WARDEN_EMBEDDING_MODEL: {
    schema: optionalText,
    form: 'a model name',
    description: 'Embedding model name at WARDEN_MODEL_BASE_URL. Unset: local hashed character-trigram vectors.',
  },
  WARDEN_GATEWAY_EXCHANGE_TTL_SECONDS: {
    schema: z.coerce
      .number<string>()
      .int('must be a whole number')
      .min(60, 'must be at least 60')
      .max(30 * 86_400, 'must be at most 2592000 (30 days)'),
    form: 'seconds',
    default: '3600',
    description:
      "How long an exchange the LiteLLM guardrail's request phase opened waits for its response phase; older unanswered ones (and their prompts) are deleted when the next one opens.",
  },
  WARDEN_EXPORT_SINK: {
    schema: z.enum(['postgres', 'file']),
    form: 'postgres or file',
    default: 'postgres',
    description:
      'Where ABP export documents live: in PostgreSQL (every replica reads the same ones), or as JSON files in WARDEN_EXPORT_DIR (a directory every replica must share). Export files written before are imported into PostgreSQL at start-up.',
  },
  WARDEN_EXPORT_DIR: {
    schema: optionalText,
    form: 'a directory path',
    description:
      "The export files' directory: where WARDEN_EXPORT_SINK=file writes them, and where start-up looks for files to import (default: WARDEN_DATA_DIR/exports).",
  },
  WARDEN_LOG_LEVEL: {
    schema: z.enum(['debug', 'info', 'warn', 'error']),
    form: 'debug, info, warn or error',
    default: 'info',
    description: 'Log level of the worker and the start command.',
  },
} satisfies Record<string, VariableSpec>;

export type VariableName = keyof typeof variables;

/**
 * What a deployed Warden (docker-compose, Kubernetes) must set: without these it would start an
 * embedded Temporal or database of its own, bind only to loopback, or sign provenance with a key
 * that lives in one container's disk.
 */
export const requiredInDeployment: VariableName[] = [
  'TEMPORAL_ADDRESS',
  'DATABASE_URL',
  'WARDEN_PROVENANCE_KEY',
  'WARDEN_HTTP_HOST',
];

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super('Invalid configuration:\n' + problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

function readVariables(env: NodeJS.ProcessEnv): Record<VariableName, unknown> {
  const values: Partial<Record<VariableName, unknown>> = {};
  const problems: { variable: string; message: string }[] = [];
  for (const [name, spec] of Object.entries(variables) as [VariableName, VariableSpec][]) {
    const raw = env[name] ?? spec.default;
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) {
      values[name] = parsed.data;
    } else {
      const detail = parsed.error.issues[0]?.message ?? 'invalid';
      problems.push({ variable: name, message: `expected ${spec.form} (${detail}), got ${JSON.stringify(raw)}` });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values as Record<VariableName, unknown>;
}

export interface TemporalConfig {
  /** Undefined when Warden runs its own dev server. */
  externalAddress: string | undefined;
  address: string;
  namespace: string;
  taskQueue: string;
  apiKey: string | undefined;
  tls:
    | undefined
    | {
        certPath: string | undefined;
        keyPath: string | undefined;
        caPath: string | undefined;
        serverName: string | undefined;
      };
  devServer: { port: number; uiPort: number };
  uiUrl: string;
}

export interface WardenConfig {
  dataDir: string;
  cacheDir: string;
  temporal: TemporalConfig;
  /** Undefined when Warden runs its embedded PostgreSQL. */
  externalDatabaseUrl: string | undefined;
  databaseUrl: string;
  embeddedPgPort: number;
  http: { host: string; port: number; url: string };
  /** Where a worker-only process serves its /healthz (undefined: nowhere). */
  workerHealthPort: number | undefined;
  /** Where the Temporal SDK's Prometheus exporter listens (undefined: not exported). */
  sdkMetricsPort: number | undefined;
  /** Seconds an unanswered gateway exchange (and its prompt) is kept before it is deleted. */
  gatewayExchangeTtlSeconds: number;
  /** The worker's sticky cache size (maxCachedWorkflows). */
  maxCachedWorkflows: number;
  provenanceKey: string | undefined;
  /** WARDEN_PROVENANCE_KEY_FILE: read by config/provenance-key.ts (never both this and the key). */
  provenanceKeyFile: string | undefined;
  principal: string | undefined;
  models: {
    baseUrl: string | undefined;
    apiKey: string | undefined;
    chatModel: string | undefined;
    embeddingModel: string | undefined;
  };
  exportSink: 'postgres' | 'file';
  exportDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): WardenConfig {
  const v = readVariables(env);
  const str = (name: VariableName) => v[name] as string;
  const opt = (name: VariableName) => v[name] as string | undefined;
  const num = (name: VariableName) => v[name] as number;

  const dataDir = resolve(projectRoot, expandHome(str('WARDEN_DATA_DIR')));
  const devPort = num('TEMPORAL_PORT');
  const uiPort = num('TEMPORAL_UI_PORT');
  const externalAddress = opt('TEMPORAL_ADDRESS');
  const apiKey = opt('TEMPORAL_API_KEY');
  const certPath = opt('TEMPORAL_TLS_CERT');
  const keyPath = opt('TEMPORAL_TLS_KEY');
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new ConfigError([
      {
        variable: certPath ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT',
        message: 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together',
      },
    ]);
  }
  const caPath = opt('TEMPORAL_TLS_CA');
  const tlsFlag = v.TEMPORAL_TLS as boolean | undefined;
  const useTls = tlsFlag ?? (apiKey !== undefined || certPath !== undefined || caPath !== undefined);
  const provenanceKey = opt('WARDEN_PROVENANCE_KEY');
  const provenanceKeyFile = opt('WARDEN_PROVENANCE_KEY_FILE');
  if (provenanceKey !== undefined && provenanceKeyFile !== undefined) {
    throw new ConfigError([
      {
        variable: 'WARDEN_PROVENANCE_KEY_FILE',
        message: 'set WARDEN_PROVENANCE_KEY or WARDEN_PROVENANCE_KEY_FILE, not both',
      },
    ]);
  }
  const httpHost = str('WARDEN_HTTP_HOST');
  const httpPort = num('WARDEN_HTTP_PORT');
  const pgPort = num('WARDEN_PG_PORT');
  const externalDatabaseUrl = opt('DATABASE_URL');

  return {
    dataDir,
    cacheDir: resolve(expandHome(str('WARDEN_CACHE_DIR'))),
    temporal: {
      externalAddress,
      address: externalAddress ?? `127.0.0.1:${devPort}`,
      namespace: str('TEMPORAL_NAMESPACE'),
      taskQueue: str('TEMPORAL_TASK_QUEUE'),
      apiKey,
      tls: useTls ? { certPath, keyPath, caPath, serverName: opt('TEMPORAL_TLS_SERVER_NAME') } : undefined,
      devServer: { port: devPort, uiPort },
      uiUrl: opt('TEMPORAL_UI_URL') ?? `http://127.0.0.1:${uiPort}`,
    },
    externalDatabaseUrl,
    databaseUrl: externalDatabaseUrl ?? `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
    embeddedPgPort: pgPort,
    http: { host: httpHost, port: httpPort, url: opt('WARDEN_API_URL') ?? `http://${httpHost}:${httpPort}` },
    workerHealthPort: v.WARDEN_WORKER_HEALTH_PORT as number | undefined,
    sdkMetricsPort: v.WARDEN_SDK_METRICS_PORT as number | undefined,
    maxCachedWorkflows: num('WARDEN_MAX_CACHED_WORKFLOWS'),
    gatewayExchangeTtlSeconds: num('WARDEN_GATEWAY_EXCHANGE_TTL_SECONDS'),
    provenanceKey,
    provenanceKeyFile: provenanceKeyFile === undefined ? undefined : resolve(expandHome(provenanceKeyFile)),
    principal: opt('WARDEN_PRINCIPAL'),
    models: {
      baseUrl: opt('WARDEN_MODEL_BASE_URL'),
      apiKey: opt('WARDEN_MODEL_API_KEY'),
      chatModel: opt('WARDEN_CHAT_MODEL'),
      embeddingModel: opt('WARDEN_EMBEDDING_MODEL'),
    },
    exportSink: v.WARDEN_EXPORT_SINK as WardenConfig['exportSink'],
    exportDir: resolve(expandHome(opt('WARDEN_EXPORT_DIR') ?? `${dataDir}/exports`)),
    logLevel: v.WARDEN_LOG_LEVEL as WardenConfig['logLevel'],
  };
}

/** The README's configuration table, so documentation and parsing share one source. */
export function configTable(): string {
  const rows = Object.entries(variables).map(
    ([name, spec]: [string, VariableSpec]) =>
      `| \`${name}\` | ${spec.form} | ${spec.default !== undefined ? `\`${spec.default}\`` : '—'} | ${spec.description} |`,
  );
  return ['| Variable | Form | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
