// Queueing closed forms against kvtier's engine and device model (sim/queueing.ts). Over 1,000,000
// customers at utilisation 0.5 the sample mean's relative standard error is well under 1%, so the
// 2% tolerance leaves room for it while still catching a wrong queue discipline.

import { describe, expect, it } from 'vitest';
import { closedFormMeanWaitNs, QUEUE_EXPERIMENTS, simulateMeanWaitNs } from '../../sim/queueing.js';

describe('device queue against closed forms', () => {
  for (const experiment of QUEUE_EXPERIMENTS) {
    it(`${experiment.model} mean wait within 2%`, () => {
      const expected = closedFormMeanWaitNs(experiment);
      const measured = simulateMeanWaitNs(experiment);
      expect(Math.abs(measured - expected) / expected).toBeLessThan(0.02);
    });
  }

  it('M/M/1 closed form is rho S / (1 - rho)', () => {
    expect(closedFormMeanWaitNs({ model: 'M/M/1', servers: 1, utilisation: 0.5, customers: 0, seed: '' })).toBe(1_000_000);
  });

  it('Erlang C with one server equals M/M/1', () => {
    const single = { servers: 1, utilisation: 0.7, customers: 0, seed: '' };
    expect(closedFormMeanWaitNs({ ...single, model: 'M/M/c' })).toBeCloseTo(closedFormMeanWaitNs({ ...single, model: 'M/M/1' }), 6);
  });
});
