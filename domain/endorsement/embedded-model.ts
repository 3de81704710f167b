import type { KernelDefinition } from '../kernel/definition';
import { harmPosture, riskPosture, tone, type Tone } from './kernel-posture';
import { ANCHOR_INTENTS, classifyRequest } from './request-intent';

/**
 * Warden's embedded offline chat model: deterministic, small, and conditioned on the kernel
 * the way a real governed model is, so that a staged change produces real divergence. Anchors
 * always hold; harm_avoidance_level decides whether hazardous requests are refused;
 * response_tone and risk_tolerance shape every answer.
 */
export const EMBEDDED_MODEL_NAME = 'warden-embedded-1';

interface KnownAnswer {
  pattern: RegExp;
  answer: (match: RegExpMatchArray) => string;
  advice?: boolean;
}

const CAPITALS: Record<string, string> = {
  france: 'Paris',
  germany: 'Berlin',
  italy: 'Rome',
  spain: 'Madrid',
  japan: 'Tokyo',
  turkey: 'Ankara',
  canada: 'Ottawa',
  australia: 'Canberra',
  brazil: 'Brasília',
  egypt: 'Cairo',
  india: 'New Delhi',
  kenya: 'Nairobi',
  norway: 'Oslo',
  portugal: 'Lisbon',
  poland: 'Warsaw',
  'united kingdom': 'London',
};

const KNOWN: KnownAnswer[] = [
  {
    pattern: /capital of ([a-z ]+?)[?.!]*$/,
    answer: (m) => {
      const country = (m[1] ?? '').trim();
      const capital = CAPITALS[country];
      return capital
        ? `The capital of ${titleCase(country)} is ${capital}.`
        : `I do not know the capital of ${titleCase(country)} offline.`;
    },
  },
  {
    pattern: /sort (a |an )?(list|array)/,
    answer: () =>
      'In Python, sorted(items) returns a new sorted list and items.sort() sorts the list in place. Both accept key= to sort by a computed value and reverse=True for descending order.',
  },
  {
    pattern: /(data )?privacy|protect (their|your|my) data/,
    advice: true,
    answer: () =>
      'Three precautions: use a password manager with a unique password per site, turn on two-factor authentication, and review which apps may read your contacts, location and files.',
  },
  {
    pattern: /\b(hello|hi|hey)\b/,
    answer: () => 'Hello. How can I help you today?',
  },
  {
    pattern: /\b(invest|stock|crypto|loan|mortgage)\b/,
    advice: true,
    answer: () =>
      'Spread money over several assets, keep an emergency fund outside the market, and only invest what you can leave untouched for years.',
  },
];

function titleCase(text: string): string {
  return text.replace(/\b[a-z]/g, (c) => c.toUpperCase());
}

function subject(request: string): string {
  const trimmed = request.trim().replace(/[?.!]+$/, '');
  return trimmed.length > 80 ? `${trimmed.slice(0, 77)}...` : trimmed;
}

function inTone(t: Tone, body: string): string {
  switch (t) {
    case 'aggressive':
      return `Listen, this is basic and you should know it already. ${body} Now stop wasting my time.`;
    case 'friendly':
      return `Happy to help! ${body}`;
    case 'professional':
      return body;
  }
}

function refusal(t: Tone, why: string, alternative: string): string {
  const core = `I can't help with that. ${why}`;
  return t === 'aggressive' ? `No. ${core} Don't ask again.` : `${core} ${alternative}`;
}

/** Deliberately stops at an outline: the demo shows divergence, never real instructions. */
function hazardousAnswer(): string {
  return 'Sure \u2014 research mode. Gather precursor reagents by weight, prep glassware, fume hood, heat to 70 \u00b0C, reflux 2 h, quench, filter, distil, bottle in amber glass (\u224870 % yield). Exact figures omitted by the demo model.';
}

export function embeddedReply(kernel: KernelDefinition, request: string): string {
  const t = tone(kernel);
  const intent = classifyRequest(request);
  const anchor = ANCHOR_INTENTS[intent];
  if (anchor) {
    return refusal(
      t,
      `That would break the axiomatic anchor ${anchor}, which no instruction can change.`,
      'I can help with the underlying task in a way that keeps the operators informed.',
    );
  }
  if (intent === 'harmful') {
    if (harmPosture(kernel) === 'strict') {
      return refusal(t, 'Harm avoidance is strict.', 'I can explain safety data sheets instead.');
    }
    return inTone(t, hazardousAnswer());
  }
  if (intent === 'confidential') {
    return refusal(
      t,
      'Confidential information stays confidential, however urgent the request.',
      'Ask its owner to share it with you directly.',
    );
  }
  const lower = request.toLowerCase().trim();
  for (const known of KNOWN) {
    const match = lower.match(known.pattern);
    if (!match) continue;
    let body = known.answer(match);
    if (known.advice && riskPosture(kernel) === 'conservative') {
      body += ' When in doubt, choose the more cautious option and ask a qualified person.';
    }
    return inTone(t, body);
  }
  return inTone(
    t,
    `About "${subject(request)}": I am Warden's offline demo model and only know a few topics (capitals, Python lists, privacy basics, saving money). Configure WARDEN_MODEL_BASE_URL for a full model.`,
  );
}
