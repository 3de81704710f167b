import { z } from 'zod';
import { isUnit, notANumber, notInUnitInterval } from './unit-rules';

export function unitInterval(what: string) {
  return z.number({ error: notANumber(what) }).refine(isUnit, { error: notInUnitInterval(what) });
}
