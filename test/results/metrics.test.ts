import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expandMetricPaths, METRICS, renderMetricGlossary } from '../../results/metrics.js';
import { buildSummary, flattenSummary } from '../../results/summary.js';
import { DEFAULT_SCENARIO } from '../../sim/default-scenario.js';
import { collectRunFacts, runScenario } from '../../sim/run.js';
import { mergeScenario, parseScenario } from '../../sim/scenario.js';

describe('metric definitions', () => {
  const scenario = parseScenario(mergeScenario(DEFAULT_SCENARIO, { workload: { sessions: 10 } }), 'test');
  const summary = buildSummary(collectRunFacts(runScenario(scenario), 'test'));
  const summaryPaths = flattenSummary(summary).map(([path]) => path);
  const definedPaths = METRICS.flatMap(expandMetricPaths);

  it('define every summary metric', () => {
    const undefinedPaths = summaryPaths.filter((path) => !definedPaths.includes(path));
    expect(undefinedPaths).toEqual([]);
  });

  it('define only summary metrics', () => {
    const extraPaths = definedPaths.filter((path) => !summaryPaths.includes(path));
    expect(extraPaths).toEqual([]);
  });

  it('match the glossary in docs', () => {
    const glossary = readFileSync(fileURLToPath(new URL('../../docs/metrics.md', import.meta.url)), 'utf8');
    expect(glossary, 'docs/metrics.md is stale: run npm run docs:metrics').toBe(renderMetricGlossary());
  });
});
