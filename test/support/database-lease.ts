/**
 * A time-skipping file's own database, started by test/support/timeskip-setup.ts (in the main
 * process, where PGlite is compiled once) and stopped again by `release`.
 */
export async function leaseDatabase(leaseUrl: string): Promise<{ url: string; release(): Promise<void> }> {
  const res = await fetch(leaseUrl, { method: 'POST' });
  const body = (await res.json()) as { url?: string; error?: string };
  if (!res.ok || !body.url) throw new Error(`no database for this file: ${body.error ?? res.status}`);
  const url = body.url;
  return {
    url,
    release: async () => void (await fetch(`${leaseUrl}?url=${encodeURIComponent(url)}`, { method: 'DELETE' })),
  };
}
