// kvtier's version, read from its package.json, which sits two folders above this module when
// compiled (dist/cli) and one folder above it in the sources (cli).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function kvtierVersion(): string {
  if (cached !== undefined) return cached;
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    const candidate = join(folder, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'kvtier' && manifest.version !== undefined) return (cached = manifest.version);
    }
    folder = dirname(folder);
  }
  return (cached = 'unknown');
}
