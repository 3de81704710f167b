import type { Route } from '../route';
import { stackRoutes } from './stack';
import { accessRoutes } from './access';
import { provenanceRoutes } from './provenance';
import { guardRoutes } from './guard';
import { endorsementRoutes } from './endorsement';
import { delegationRoutes } from './delegation';
import { notificationRoutes } from './notifications';
import { metricsRoutes } from './metrics';
import { openApiRoutes } from './openapi';
import { dashboardRoutes } from './dashboard';
import { openAiCompatibleRoutes } from './openai-compatible';
import { liteLlmGuardrailRoutes } from './litellm-guardrail';
import { inboxRoutes } from './inbox';
import { gatewayExchangeRoutes } from './gateway-exchanges';

/** Every HTTP route; each loop adds its list here. */
export const routes: Route[] = [
  ...stackRoutes,
  ...accessRoutes,
  ...provenanceRoutes,
  ...guardRoutes,
  ...endorsementRoutes,
  ...delegationRoutes,
  ...notificationRoutes,
  ...metricsRoutes,
  ...dashboardRoutes,
  ...openAiCompatibleRoutes,
  ...liteLlmGuardrailRoutes,
  ...gatewayExchangeRoutes,
  ...inboxRoutes,
  ...openApiRoutes(() => routes),
];
