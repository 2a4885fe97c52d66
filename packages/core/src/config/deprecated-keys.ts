import type { JSONSchemaType } from '../contracts/schema.js';

/** `pcblistRetries` → `pcblist_retries`. */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Renames camelCase keys of a plugin's config section that the schema knows in snake_case
 * (the spelling of every key since the one-way pipeline), in place, and returns one
 * deprecation warning per renamed key naming the new key. A key given in both spellings keeps
 * the snake_case value, and the warning says the old one was ignored.
 */
export function renameDeprecatedKeys(section: Record<string, unknown>, schema: JSONSchemaType, path: string): string[] {
  const known = (schema.properties ?? {}) as Record<string, unknown>;
  const warnings: string[] = [];
  for (const key of Object.keys(section)) {
    if (key in known || !/[A-Z]/.test(key)) continue;
    const renamed = snakeCase(key);
    if (!(renamed in known)) continue;
    if (renamed in section) {
      warnings.push(`${path}.${key} is deprecated and ignored: ${path}.${renamed} is also set`);
    } else {
      section[renamed] = section[key];
      warnings.push(`${path}.${key} is deprecated: use ${path}.${renamed}`);
    }
    delete section[key];
  }
  return warnings;
}
