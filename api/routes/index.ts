import type { Route } from '../route';
import { foundationRoutes } from './foundation';

/** Every HTTP route; each loop adds its list here. */
export const routes: Route[] = [
  ...foundationRoutes,
];
