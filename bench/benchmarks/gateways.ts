import type { AddressInfo } from 'node:net';
import { createApiServer } from '../../api/server';
import { createAgent } from '../../client/endorsement';
import { createApiToken } from '../../db/access/api-tokens';
import { addPrincipal } from '../../db/access/principals';
import {
  ensureLiteLlmProxy,
  LITELLM_REQUIREMENT,
  startLiteLlmProxy,
  type LiteLlmProxy,
} from '../../toolchain/litellm-proxy';
import { startModelStub } from '../../toolchain/model-stub';
import type { Benchmark } from '../benchmark';
import { closedLoop } from '../load';
import type { Figure } from '../result';
import { withLocalStack } from '../stack/local-stack';
import { summarize } from '../stats';

const AGENT = 'bench-gateway-bot';
const PROMPT = 'What is the capital of France?';

/** POSTs `body` to `url` and fails the run on anything but a 200 with `check` true. */
function caller(url: string, headers: Record<string, string>, body: unknown, check: (answer: any) => boolean) {
  const text = JSON.stringify(body);
  return async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: text,
    });
    const answer = (await res.json()) as unknown;
    if (res.status !== 200 || !check(answer))
      throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
  };
}

const chatBody = (model: string) => ({ model, messages: [{ role: 'user', content: PROMPT }] });
const answered = (a: any) => typeof a?.choices?.[0]?.message?.content === 'string';

/** Item 10 (issue 18): what each agent gateway adds to a chat round trip, next to the same call without it. */
export const gateways: Benchmark = {
  name: 'gateways',
  item: 10,
  title: 'Agent gateways: the latency each adds',
  method:
    'A local OpenAI-compatible model stub (toolchain/model-stub.ts, the one the gateway tests use: it answers at once, so ' +
    "the figures are the gateways' own cost) and a real Warden (`createApiServer` on 127.0.0.1 over a real worker; one " +
    'agent, no staged change). Closed loop at concurrency 1, each series after a warm-up, all in one run, the same ' +
    `one-turn chat each time. (1) The stub called directly vs Warden's \`POST /v1/chat/completions\` (the agent's production ` +
    'kernel answers through the stub; the exchange is recorded). (2) The real LiteLLM proxy ' +
    `(${LITELLM_REQUIREMENT} from the toolchain cache's venv, toolchain/litellm-proxy.ts) in front of the stub without a ` +
    'guardrail vs a second proxy with Warden as its `generic_guardrail_api` guardrail (pre_call and post_call, so two ' +
    'guardrail round trips per chat: the prompt opened, the exchange recorded), both called with `fetch` on ' +
    "`/v1/chat/completions`. (3) The AI SDK middleware's one report per answer (`POST /api/v1/gateway/exchanges`, no tool " +
    'call), timed alone: what `warden/ai-sdk` adds after the model has answered.',
  limits:
    'Every gateway answers once the exchange is stored: one insert (and, for the guardrail, an insert on the request ' +
    'phase and a delete on the response phase) on the same database the worker uses; no Temporal round trip is on the ' +
    'path (a shadow sample wakes the staged change later). LiteLLM itself adds its own proxy cost (Python, one event ' +
    'loop), shown by the proxy-without-guardrail figure; the guardrail adds two HTTP round trips to Warden per chat. ' +
    'With the stub answering at once, the ratios overstate what an agent with a real model (hundreds of ms) would notice.',
  async run(ctx) {
    const requests = ctx.size(1000, 40);
    const warmup = ctx.size(50, 5);
    const notes: string[] = [];
    const figures: Figure[] = [];
    const samples: Record<string, number[]> = {};
    const stub = await startModelStub();
    const p50s: Record<string, number> = {};
    const measure = async (key: string, label: string, call: () => Promise<void>) => {
      await closedLoop(warmup, 1, call);
      const r = await closedLoop(requests, 1, call);
      const s = summarize(r.latencies);
      p50s[key] = s.p50;
      figures.push({ key: `${key}_p50`, label: `${label}: p50`, value: s.p50, unit: 'ms' });
      figures.push({ key: `${key}_p99`, label: `${label}: p99`, value: s.p99, unit: 'ms' });
      samples[`${key}_ms`] = r.latencies;
      ctx.log(`${label}: ${requests} calls, p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`);
    };
    const added = (key: string, label: string, withIt: string, without: string) => {
      const a = p50s[withIt];
      const b = p50s[without];
      figures.push({ key, label, value: a !== undefined && b !== undefined ? a - b : null, unit: 'ms' });
    };
    try {
      return await withLocalStack(
        { log: ctx.log, poolSize: 16, env: { WARDEN_MODEL_BASE_URL: stub.baseUrl, WARDEN_CHAT_MODEL: 'stub-chat' } },
        async (stack) => {
          const w = stack.ctx;
          await addPrincipal(w.pool, 'bench-admin', ['admin']);
          await createAgent(w, { id: AGENT, kernel: 'default', settings: {}, probes: false }, 'bench-admin');
          const { token } = await createApiToken(w.pool, { principal: 'bench-admin', label: 'benchmark' });
          const server = createApiServer(w);
          await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
          const warden = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
          const bearer = { authorization: `Bearer ${token}` };
          const proxies: LiteLlmProxy[] = [];
          try {
            await measure(
              'stub_direct',
              'model stub called directly',
              caller(`${stub.baseUrl}/chat/completions`, {}, chatBody('stub-chat'), answered),
            );
            await measure(
              'openai_endpoint',
              "Warden's OpenAI-compatible endpoint",
              caller(`${warden}/v1/chat/completions`, bearer, chatBody(AGENT), answered),
            );
            added(
              'openai_added_p50',
              'added by the OpenAI-compatible endpoint (p50 difference)',
              'openai_endpoint',
              'stub_direct',
            );
            await measure(
              'sdk_report',
              'AI SDK middleware report (POST /api/v1/gateway/exchanges)',
              caller(
                `${warden}/api/v1/gateway/exchanges`,
                bearer,
                { agent: AGENT, prompt: PROMPT, content: 'Paris.' },
                (a) => typeof a?.exchangeId === 'string',
              ),
            );

            const cacheDir = process.env.WARDEN_CACHE_DIR ?? `${process.env.HOME}/.cache/warden`;
            let bin: string | undefined;
            try {
              bin = await ensureLiteLlmProxy(cacheDir, ctx.log);
            } catch (error) {
              notes.push(
                `LiteLLM figures missing: installing ${LITELLM_REQUIREMENT} failed (${(error as Error).message.slice(0, 300)}).`,
              );
            }
            if (!bin && notes.length === 0)
              notes.push(
                `LiteLLM figures missing: python3 (with venv and pip) is not installed, so ${LITELLM_REQUIREMENT} could not be.`,
              );
            if (bin) {
              const model = {
                model_name: AGENT,
                litellm_params: { model: 'openai/stub-chat', api_base: stub.baseUrl, api_key: 'stub' },
              };
              const plain = await startLiteLlmProxy(bin, { model_list: [model] });
              proxies.push(plain);
              const guarded = await startLiteLlmProxy(bin, {
                model_list: [model],
                guardrails: [
                  {
                    guardrail_name: 'warden',
                    litellm_params: {
                      guardrail: 'generic_guardrail_api',
                      mode: ['pre_call', 'post_call'],
                      api_base: warden,
                      api_key: token,
                      default_on: true,
                      additional_provider_specific_params: { agent: AGENT },
                    },
                  },
                ],
              });
              proxies.push(guarded);
              const through = (p: LiteLlmProxy) =>
                caller(
                  `${p.url}/v1/chat/completions`,
                  { authorization: `Bearer ${p.masterKey}` },
                  chatBody(AGENT),
                  answered,
                );
              await measure('litellm_plain', 'LiteLLM proxy without a guardrail', through(plain));
              const exchanges = async () =>
                (
                  await w.pool.query<{ n: number }>(
                    'SELECT count(*)::int AS n FROM chat_exchanges WHERE agent_id = $1',
                    [AGENT],
                  )
                ).rows[0]!.n;
              const before = await exchanges();
              await measure('litellm_guarded', 'LiteLLM proxy with Warden as its generic guardrail', through(guarded));
              // Each guarded chat must really have gone through Warden (request and response phase).
              const recorded = (await exchanges()) - before;
              if (recorded < requests + warmup)
                throw new Error(`the guardrail recorded ${recorded} exchanges for ${requests + warmup} chats`);
              added(
                'guardrail_added_p50',
                'added by the Warden guardrail (p50 difference)',
                'litellm_guarded',
                'litellm_plain',
              );
            }
          } finally {
            for (const p of proxies) p.stop();
            await new Promise((resolve) => server.close(resolve));
          }
          return {
            parameters: { requests, warmup, concurrency: 1, litellm: LITELLM_REQUIREMENT },
            figures,
            samples,
            notes,
          };
        },
      );
    } finally {
      await stub.close();
    }
  },
};
