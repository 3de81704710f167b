import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

/**
 * The workflow bundle as it was before a patch: every import whose request matches `request`
 * (e.g. /(^|\/)notify$/) resolves to `standIn` instead, a module that behaves as the code did
 * before (and so for each of `more`, for a release before several patches). Histories recorded
 * on it are what workers running the older release left behind.
 */
export function bundleWithStandIn(
  request: RegExp,
  standIn: string,
  ...more: { request: RegExp; standIn: string }[]
): Promise<WorkflowBundleWithSourceMap> {
  const standIns = [{ request, standIn }, ...more];
  return bundleWorkflowCode({
    workflowsPath,
    webpackConfigHook: (config) => {
      config.plugins = [
        ...(config.plugins ?? []),
        {
          apply(compiler: { hooks: { normalModuleFactory: { tap(name: string, fn: (nmf: any) => void): void } } }) {
            compiler.hooks.normalModuleFactory.tap('warden-stand-in', (nmf) => {
              nmf.hooks.beforeResolve.tap('warden-stand-in', (data: { request: string }) => {
                const replaced = standIns.find((s) => s.request.test(data.request));
                if (replaced) data.request = replaced.standIn;
              });
            });
          },
        },
      ];
      return config;
    },
    logger: {
      log: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: console.error,
      debug: () => undefined,
      trace: () => undefined,
    },
  });
}

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

/** The ids of the patches a history recorded (core_patch markers carry {"id": …} as JSON). */
export function patchIds(history: History): string[] {
  return (history.events ?? []).flatMap((e) => {
    const payload = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0];
    return payload?.data ? [(JSON.parse(Buffer.from(payload.data).toString('utf8')) as { id: string }).id] : [];
  });
}
