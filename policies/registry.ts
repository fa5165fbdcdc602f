// The policy registry and the parser for policy specifications such as `s3fifo(small=0.1)`.
// Defaults are applied first, then the user's values; an unknown key or an out-of-range value is
// rejected with an error that names the policy, the key and the value.

import { PolicyError } from './errors.js';
import { arc } from './arc.js';
import { belady } from './belady.js';
import { clock } from './clock.js';
import { fifo } from './fifo.js';
import { gdsf } from './gdsf.js';
import { lfu } from './lfu.js';
import { lirs } from './lirs.js';
import { s3fifo } from './s3fifo.js';
import { sieve } from './sieve.js';
import { twoq } from './twoq.js';
import { lru } from './lru.js';
import { optimalPrefix } from './optimal-prefix.js';
import { prefixLru } from './prefix-lru.js';
import { recomputeCost } from './recompute-cost.js';
import { thinkTime } from './think-time.js';
import type { EvictionPolicy, PolicyContext, PolicyDefinition } from './policy.js';

const definitions = new Map<string, PolicyDefinition>();

/** Adds a policy to the registry. Throws when the name is taken, so two policies never shadow each other. */
export function registerPolicy(definition: PolicyDefinition): void {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.name)) {
    throw new PolicyError(`invalid policy name "${definition.name}": expected lower-case letters, digits and '-'`);
  }
  if (definitions.has(definition.name)) {
    throw new PolicyError(`policy "${definition.name}" is already registered`);
  }
  definitions.set(definition.name, definition);
}

export function listPolicies(): PolicyDefinition[] {
  return [...definitions.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function getPolicy(name: string): PolicyDefinition {
  const definition = definitions.get(name);
  if (definition === undefined) {
    // Offline policies need each request's next use, which only replays have.
    const known = [...definitions.values()]
      .map((candidate) => (candidate.offline === true ? `${candidate.name} (replays only)` : candidate.name))
      .sort()
      .join(', ');
    throw new PolicyError(`unknown policy "${name}": expected one of ${known}`);
  }
  return definition;
}

/** A parsed policy specification with every parameter resolved. */
export interface PolicySpec {
  definition: PolicyDefinition;
  params: Record<string, number>;
  /** `name` alone without parameters, else `name(key=value,...)` in the definition's parameter order. */
  label: string;
}

/** Parses `name` or `name(key=value,...)`, applying defaults first and rejecting unknown keys. */
export function parsePolicySpec(text: string): PolicySpec {
  const match = /^\s*([a-z][a-z0-9-]*)\s*(?:\((.*)\))?\s*$/.exec(text);
  if (match === null) {
    throw new PolicyError(`invalid policy specification "${text}": expected name or name(key=value,...)`);
  }
  const definition = getPolicy(match[1]);
  const params: Record<string, number> = {};
  for (const parameter of definition.parameters) params[parameter.name] = parameter.defaultValue;

  const body = match[2]?.trim() ?? '';
  if (body !== '') {
    for (const pair of body.split(',')) {
      const [rawKey, rawValue, extra] = pair.split('=');
      const key = rawKey?.trim() ?? '';
      if (rawValue === undefined || extra !== undefined || key === '') {
        throw new PolicyError(`policy "${definition.name}": invalid parameter "${pair.trim()}": expected key=value`);
      }
      const parameter = definition.parameters.find((candidate) => candidate.name === key);
      if (parameter === undefined) {
        if (definition.parameters.length === 0) throw new PolicyError(`policy "${definition.name}" takes no parameters, got "${key}"`);
        const known = definition.parameters.map((candidate) => candidate.name).join(', ');
        throw new PolicyError(`policy "${definition.name}": unknown parameter "${key}": expected one of ${known}`);
      }
      const value = Number(rawValue.trim());
      if (rawValue.trim() === '' || !Number.isFinite(value)) {
        throw new PolicyError(`policy "${definition.name}": parameter "${key}" is "${rawValue.trim()}": expected a number`);
      }
      if ((parameter.min !== undefined && value < parameter.min) || (parameter.max !== undefined && value > parameter.max)) {
        throw new PolicyError(
          `policy "${definition.name}": parameter "${key}" is ${value}: expected a number in [${parameter.min ?? '-inf'}, ${parameter.max ?? 'inf'}]`,
        );
      }
      params[key] = value;
    }
  }

  const label =
    definition.parameters.length === 0
      ? definition.name
      : `${definition.name}(${definition.parameters.map((parameter) => `${parameter.name}=${params[parameter.name]}`).join(',')})`;
  return { definition, params, label };
}

/** Creates a policy instance from a parsed specification. */
export function createPolicy(spec: PolicySpec, context: PolicyContext): EvictionPolicy {
  return spec.definition.create(spec.params, context);
}

registerPolicy(lru);
registerPolicy(arc);
registerPolicy(belady);
registerPolicy(clock);
registerPolicy(fifo);
registerPolicy(gdsf);
registerPolicy(lfu);
registerPolicy(lirs);
registerPolicy(s3fifo);
registerPolicy(sieve);
registerPolicy(twoq);
registerPolicy(prefixLru);
registerPolicy(thinkTime);
registerPolicy(recomputeCost);
registerPolicy(optimalPrefix);
