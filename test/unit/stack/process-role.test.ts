import { describe, expect, it } from 'vitest';
import { roleFromArgs, runsApi, runsWorker } from '../../../worker/process-role';

describe('process roles', () => {
  it('runs both parts by default, one part for worker and api', () => {
    expect(roleFromArgs([])).toBe('all');
    expect(roleFromArgs(['--role', 'worker'])).toBe('worker');
    expect(roleFromArgs(['--role=api'])).toBe('api');
    expect([runsWorker('all'), runsApi('all')]).toEqual([true, true]);
    expect([runsWorker('worker'), runsApi('worker')]).toEqual([true, false]);
    expect([runsWorker('api'), runsApi('api')]).toEqual([false, true]);
  });

  it('refuses an unknown role, naming the choices', () => {
    expect(() => roleFromArgs(['--role', 'both'])).toThrow(/expected one of all, worker, api, got "both"/);
    expect(() => roleFromArgs(['--role'])).toThrow(/got ""/);
  });
});
