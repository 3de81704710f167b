import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { HttpError, type ApiResponse } from './route';

/** The dashboard's page, scripts and styles: plain files, no build step. */
const DASHBOARD_DIR = fileURLToPath(new URL('../dashboard/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/**
 * Only flat names like `app.js` are served: the pattern admits no slash, backslash, dot-dot or
 * leading dot, so a request can never name a file outside the dashboard folder.
 */
const SAFE_NAME = /^[a-z0-9][a-z0-9-]*\.([a-z]+)$/;

export async function dashboardFile(name: string): Promise<ApiResponse> {
  const match = SAFE_NAME.exec(name);
  const type = match ? CONTENT_TYPES[match[1]!] : undefined;
  if (!match || !type) throw new HttpError(404, `no dashboard file ${JSON.stringify(name)}`);
  try {
    return { status: 200, contentType: type, body: await readFile(`${DASHBOARD_DIR}${name}`, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new HttpError(404, `no dashboard file ${JSON.stringify(name)}`);
    throw error;
  }
}
