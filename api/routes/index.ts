import type { Route } from '../route';
import { foundationRoutes } from './foundation';
import { endorsementRoutes } from './endorsement';
import { delegationRoutes } from './delegation';

/** Every HTTP route; each loop adds its list here. */
export const routes: Route[] = [
  ...foundationRoutes,
  ...endorsementRoutes,
  ...delegationRoutes,
];
