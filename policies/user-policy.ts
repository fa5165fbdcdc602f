// Policies from the user's own modules. `--policy ./my-policy.js` names an ES module whose default
// export, or whose export named `policy`, is a PolicyDefinition (see policy.ts and the walkthrough
// in docs/policies.md). The module is imported, its definition checked, and the policy registered
// under the definition's name, so that specifications such as `my-policy(k=2)` parse from then on.
//
// Every instance the module creates is wrapped, so an exception thrown by the user's code surfaces
// as a PolicyError naming the file and the method, and the CLI exits with status 2 on it. The
// wrapper adds one function call per policy call, which built-in policies do not pay.
//
// A `.ts` or `.mts` module is first compiled to JavaScript with the TypeScript compiler of the
// `typescript` package (types are not checked), into a temporary folder. Node 20 cannot import
// TypeScript itself. Because only that one file is compiled and moved, a TypeScript policy must be
// self-contained: type-only imports are fine, but a relative import of another file is not.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PolicyError } from './errors.js';
import { createAccessInfo, type EvictionPolicy, type PolicyContext, type PolicyDefinition } from './policy.js';
import { getPolicy, registerPolicy } from './registry.js';

const POLICY_METHODS = ['grow', 'onHit', 'admit', 'evict', 'insert', 'remove'] as const;
const MODULE_EXTENSIONS = ['.js', '.mjs', '.ts', '.mts'];

/** Definitions loaded so far, by absolute path, so that loading a file twice registers it once. */
const loaded = new Map<string, PolicyDefinition>();

/** Checks whether a policy specification names a module file (`./p.js`, `/abs/p.ts(k=1)`) rather than a registered policy. */
export function isPolicyModuleSpec(text: string): boolean {
  return splitModuleSpec(text) !== null;
}

/**
 * Loads the module named by a specification such as `./p.js` or `./p.ts(k=2)` and returns the
 * specification with the path replaced by the registered name (`p-name(k=2)`). A specification
 * that names no file is returned unchanged. Throws PolicyError naming the file when it is missing,
 * fails to load, or does not implement the contract.
 */
export async function resolvePolicyModuleSpec(text: string): Promise<string> {
  const parts = splitModuleSpec(text);
  if (parts === null) return text;
  const definition = await loadPolicyModule(parts.path);
  return `${definition.name}${parts.parameters}`;
}

/** Imports a policy module, checks its definition and registers it; returns the registered definition. */
export async function loadPolicyModule(path: string): Promise<PolicyDefinition> {
  const absolutePath = resolve(path);
  const known = loaded.get(absolutePath);
  if (known !== undefined) return known;
  if (!existsSync(absolutePath)) throw new PolicyError(`policy module ${path} not found (resolved to ${absolutePath})`);

  const extension = extname(absolutePath);
  const importPath = extension === '.ts' || extension === '.mts' ? compileTypeScript(path, absolutePath) : absolutePath;
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(importPath).href)) as Record<string, unknown>;
  } catch (error) {
    throw new PolicyError(`policy module ${path} failed to load: ${(error as Error).message}`);
  }

  const definition = checkDefinition(path, exports.default ?? exports.policy);
  if (safeGetPolicy(definition.name) !== undefined) {
    throw new PolicyError(`policy module ${path}: policy "${definition.name}" is already registered: rename the policy in the module`);
  }
  const wrapped: PolicyDefinition = {
    name: definition.name,
    description: definition.description,
    parameters: definition.parameters,
    create: (params, context) => createChecked(path, definition, params, context),
    offline: definition.offline,
    readsBlockFacts: definition.readsBlockFacts,
    largestObjectShare: definition.largestObjectShare?.bind(definition),
  };
  // Probe once with the defaults, so that a module whose factory throws or returns an incomplete
  // policy fails now, before any simulation state exists.
  const defaults = Object.fromEntries(definition.parameters.map((parameter) => [parameter.name, parameter.defaultValue]));
  wrapped.create(defaults, probeContext());

  try {
    registerPolicy(wrapped);
  } catch (error) {
    throw new PolicyError(`policy module ${path}: ${(error as Error).message}`);
  }
  loaded.set(absolutePath, wrapped);
  return wrapped;
}

function splitModuleSpec(text: string): { path: string; parameters: string } | null {
  const match = /^\s*([^()]+?)\s*(\(.*\))?\s*$/.exec(text);
  if (match === null) return null;
  const path = match[1];
  if (!MODULE_EXTENSIONS.includes(extname(path)) && !path.includes('/') && !path.includes('\\')) return null;
  return { path, parameters: match[2] ?? '' };
}

function checkDefinition(path: string, candidate: unknown): PolicyDefinition {
  const fail = (problem: string): never => {
    throw new PolicyError(`policy module ${path}: ${problem}`);
  };
  if (typeof candidate !== 'object' || candidate === null) {
    return fail('expected a default export or an export named "policy" holding a policy definition { name, description, parameters, create }');
  }
  const definition = candidate as Partial<PolicyDefinition>;
  if (typeof definition.name !== 'string') fail('the definition has no "name" string');
  if (typeof definition.description !== 'string') fail(`policy "${definition.name}" has no "description" string`);
  if (!Array.isArray(definition.parameters)) fail(`policy "${definition.name}" has no "parameters" array (use [] for none)`);
  for (const parameter of definition.parameters as unknown[]) {
    const { name, defaultValue } = (parameter ?? {}) as { name?: unknown; defaultValue?: unknown };
    if (typeof name !== 'string' || typeof defaultValue !== 'number') {
      fail(`policy "${definition.name}": each parameter needs a "name" string and a "defaultValue" number, got ${JSON.stringify(parameter)}`);
    }
  }
  if (typeof definition.create !== 'function') fail(`policy "${definition.name}" has no "create" function`);
  return definition as PolicyDefinition;
}

function createChecked(path: string, definition: PolicyDefinition, params: Readonly<Record<string, number>>, context: PolicyContext): EvictionPolicy {
  let instance: EvictionPolicy;
  try {
    instance = definition.create(params, context);
  } catch (error) {
    throw new PolicyError(`policy module ${path}: create() of policy "${definition.name}" failed: ${(error as Error).message}`);
  }
  if (typeof instance !== 'object' || instance === null) {
    throw new PolicyError(`policy module ${path}: create() of policy "${definition.name}" returned ${String(instance)}, expected an object`);
  }
  for (const method of POLICY_METHODS) {
    if (typeof instance[method] !== 'function') {
      throw new PolicyError(`policy module ${path}: policy "${definition.name}" lacks the method ${method}()`);
    }
  }
  return wrapInstance(path, definition.name, instance);
}

// Forwards every call, turning an exception into a PolicyError that names the module and method.
function wrapInstance(path: string, name: string, instance: EvictionPolicy): EvictionPolicy {
  const failed = (method: string, error: unknown): never => {
    throw new PolicyError(`policy module ${path}: ${method}() of policy "${name}" failed: ${error instanceof Error ? error.message : String(error)}`);
  };
  const wrapped: EvictionPolicy = {
    grow(handleCapacity) {
      try {
        instance.grow(handleCapacity);
      } catch (error) {
        failed('grow', error);
      }
    },
    onHit(handle) {
      try {
        instance.onHit(handle);
      } catch (error) {
        failed('onHit', error);
      }
    },
    admit(handle, key, size) {
      try {
        return instance.admit(handle, key, size);
      } catch (error) {
        return failed('admit', error);
      }
    },
    evict() {
      try {
        return instance.evict();
      } catch (error) {
        return failed('evict', error);
      }
    },
    insert(handle, key, size) {
      try {
        return instance.insert(handle, key, size);
      } catch (error) {
        return failed('insert', error);
      }
    },
    remove(handle) {
      try {
        instance.remove(handle);
      } catch (error) {
        failed('remove', error);
      }
    },
  };
  if (typeof instance.request === 'function') {
    const request = instance.request.bind(instance);
    wrapped.request = (handle, key, size) => {
      try {
        return request(handle, key, size);
      } catch (error) {
        return failed('request', error);
      }
    };
  }
  return wrapped;
}

function probeContext(): PolicyContext {
  return {
    capacity: 1,
    cache: { capacity: 1, used: 0 },
    access: createAccessInfo(),
    residency: { added: () => undefined, evicted: () => undefined },
  };
}

function safeGetPolicy(name: string): PolicyDefinition | undefined {
  try {
    return getPolicy(name);
  } catch {
    return undefined;
  }
}

// Compiles one TypeScript file with the `typescript` package's compiler, without type checking, into
// a fresh temporary folder marked as ES modules, and returns the path of the JavaScript file.
function compileTypeScript(path: string, absolutePath: string): string {
  let compiler: string;
  try {
    const require = createRequire(import.meta.url);
    compiler = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  } catch {
    throw new PolicyError(
      `policy module ${path}: compiling TypeScript needs the typescript package (npm install --save-dev typescript); or compile the policy to .js and pass that`,
    );
  }
  const outDir = mkdtempSync(join(tmpdir(), 'kvtier-policy-'));
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}\n');
  try {
    execFileSync(
      process.execPath,
      [
        compiler,
        absolutePath,
        // --noResolve keeps the imported files (kvtier's own types, say) out of the compilation, so
        // nothing is written beside them.
        ...['--noResolve', '--outDir', outDir, '--rootDir', dirname(absolutePath), '--module', 'esnext', '--target', 'es2022'],
        ...['--noCheck', '--skipLibCheck', '--declaration', 'false', '--sourceMap', 'false'],
      ],
      // Run from the empty folder, where no tsconfig.json applies its settings to the one file.
      { stdio: 'pipe', cwd: outDir },
    );
  } catch (error) {
    const output = `${(error as { stdout?: Buffer }).stdout?.toString() ?? ''}${(error as { stderr?: Buffer }).stderr?.toString() ?? ''}`.trim();
    throw new PolicyError(`policy module ${path} failed to compile: ${output || (error as Error).message}`);
  }
  const compiledName = basename(absolutePath).replace(/\.mts$/, '.mjs').replace(/\.ts$/, '.js');
  return join(outDir, compiledName);
}
