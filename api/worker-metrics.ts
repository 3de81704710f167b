/**
 * The Temporal SDK serves its worker metrics (`temporal_*`) from the Rust core on a port of its
 * own; `/metrics` appends them so that one scrape of the HTTP API covers Warden and its worker.
 * A failed fetch never fails the scrape: Warden's own series still answer, with a comment saying
 * why the SDK's are missing.
 */
export async function workerMetricsText(url: string | undefined, timeoutMs = 2_000): Promise<string> {
  if (!url) return '';
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return `# Temporal SDK worker metrics unavailable: ${url} answered ${res.status}\n`;
    const text = await res.text();
    return text.endsWith('\n') || text === '' ? text : `${text}\n`;
  } catch (error) {
    return `# Temporal SDK worker metrics unavailable: ${(error as Error).message.replace(/\s+/g, ' ')}\n`;
  }
}
