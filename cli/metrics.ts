// `kvtier metrics`: print the metric glossary (every metric of summary.json with its unit and formula).

import type { CommandModule } from 'yargs';
import { renderMetricGlossary } from '../results/metrics.js';

export const metricsCommand: CommandModule = {
  command: 'metrics',
  describe: 'Print the glossary of every metric in summary.json and metrics.csv, as Markdown',
  handler: () => {
    process.stdout.write(renderMetricGlossary());
  },
};
