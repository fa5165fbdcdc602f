// `kvtier policies`: lists every registered eviction policy with its parameters and their defaults,
// as a table or as JSON. Building the text is a pure function (`renderPolicyList`).

import type { Argv, CommandModule } from 'yargs';
import { listPolicies } from '../policies/registry.js';
import type { PolicyDefinition } from '../policies/policy.js';

export const POLICY_LIST_FORMATS = ['table', 'json'] as const;
export type PolicyListFormat = (typeof POLICY_LIST_FORMATS)[number];

/** Renders `definitions` as a table (name, parameters with defaults, description) or JSON. */
export function renderPolicyList(definitions: readonly PolicyDefinition[], format: PolicyListFormat): string {
  if (format === 'json') {
    const rows = definitions.map((definition) => ({
      name: definition.name,
      description: definition.description,
      parameters: definition.parameters.map((parameter) => ({ ...parameter })),
    }));
    return `${JSON.stringify(rows, null, 2)}\n`;
  }

  const lines: string[] = [];
  for (const definition of definitions) {
    lines.push(`${definition.name}  ${definition.description}`);
    for (const parameter of definition.parameters) {
      const range = parameter.min !== undefined || parameter.max !== undefined ? ` [${parameter.min ?? '-inf'}, ${parameter.max ?? 'inf'}]` : '';
      lines.push(`    ${parameter.name}=${parameter.defaultValue}${range}  ${parameter.description}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

interface PoliciesArgs {
  format: PolicyListFormat;
}

export const policiesCommand: CommandModule<object, PoliciesArgs> = {
  command: 'policies',
  describe: 'List the eviction policies with their parameters and defaults',
  builder: (yargs: Argv) =>
    yargs.option('format', { type: 'string', choices: POLICY_LIST_FORMATS, default: 'table', describe: 'output format' }) as unknown as Argv<PoliciesArgs>,
  handler: (args) => {
    process.stdout.write(renderPolicyList(listPolicies(), args.format));
  },
};
