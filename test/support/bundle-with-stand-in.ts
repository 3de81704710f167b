import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

/**
 * The workflow bundle as it was before a patch: every import whose request matches `request`
 * (e.g. /(^|\/)notify$/) resolves to `standIn` instead, a module that behaves as the code did
 * before. Histories recorded on it are what workers running the older release left behind.
 */
export function bundleWithStandIn(request: RegExp, standIn: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath,
    webpackConfigHook: (config) => {
      config.plugins = [
        ...(config.plugins ?? []),
        {
          apply(compiler: { hooks: { normalModuleFactory: { tap(name: string, fn: (nmf: any) => void): void } } }) {
            compiler.hooks.normalModuleFactory.tap('warden-stand-in', (nmf) => {
              nmf.hooks.beforeResolve.tap('warden-stand-in', (data: { request: string }) => {
                if (request.test(data.request)) data.request = standIn;
              });
            });
          },
        },
      ];
      return config;
    },
    logger: { log: () => undefined, info: () => undefined, warn: () => undefined, error: console.error, debug: () => undefined, trace: () => undefined },
  });
}
