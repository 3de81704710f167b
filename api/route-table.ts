import { HttpError, type Route } from './route';

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

/** A request's route and its path parameters as sent (still %-encoded). */
export interface RouteMatch {
  route: Route;
  names: string[];
  values: string[];
}

/** Paths remembered with their route: an agent's checks repeat the same path for the same ABP. */
const REMEMBERED_PATHS = 1_000;

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}/?$`), names };
}

/**
 * The API's routes, matched in order: the first whose pattern matches the path and whose method
 * is the request's; a path no route has is a 404, one only other methods have a 405. A path that
 * matched is remembered with its method (bounded), so a hot route is not found again by testing
 * every route's pattern per request.
 */
export class RouteTable {
  private readonly compiled: CompiledRoute[];
  private readonly remembered = new Map<string, RouteMatch>();

  constructor(routes: Route[]) {
    this.compiled = routes.map(compile);
  }

  match(method: string | undefined, path: string): RouteMatch {
    const key = `${method ?? ''} ${path}`;
    const known = this.remembered.get(key);
    if (known) return known;
    const candidates = this.compiled.filter((c) => c.pattern.test(path));
    if (candidates.length === 0) throw new HttpError(404, `no route for ${path.slice(0, 200)}`);
    const found = candidates.find((c) => c.route.method === method);
    if (!found) throw new HttpError(405, `${method} not allowed on ${path.slice(0, 200)}`);
    const match = { route: found.route, names: found.names, values: found.pattern.exec(path)!.slice(1) };
    if (this.remembered.size >= REMEMBERED_PATHS) this.remembered.clear();
    this.remembered.set(key, match);
    return match;
  }
}
