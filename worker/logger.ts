const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** One-line, timestamped logs on stderr, so stdout stays free for what a command prints. */
export function createLogger(level: LogLevel, name: string): Logger {
  const min = LEVELS.indexOf(level);
  const at = (l: LogLevel) => (message: string) => {
    if (LEVELS.indexOf(l) >= min)
      process.stderr.write(`${new Date().toISOString()} ${l.toUpperCase().padEnd(5)} [${name}] ${message}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
