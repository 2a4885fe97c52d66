import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { JSONSchemaType } from '../contracts/schema.js';
import { SockscopeError } from '../errors.js';
import { closest } from './did-you-mean.js';

/** A compiled validator: applies schema defaults in place and returns every error as `path: message`. */
export type ConfigValidator = (value: unknown) => string[];

/** Compiles a JSON Schema once; the returned function validates, fills defaults and lists errors. */
export function compileConfigSchema(schema: JSONSchemaType, root = ''): ConfigValidator {
  const ajv = new Ajv({ allErrors: true, verbose: true, useDefaults: true, strict: false, allowUnionTypes: true });
  const validate: ValidateFunction = ajv.compile(schema as object);
  return (value: unknown) => {
    if (validate(value)) return [];
    return formatErrors(validate.errors ?? [], root);
  };
}

/** Turns ajv errors into `path: message` lines a person can act on. */
export function formatErrors(errors: readonly ErrorObject[], root = ''): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    // oneOf/anyOf summaries repeat what their branches already said.
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
    const path = joinPath(root, pointerToPath(e.instancePath));
    let line: string;
    if (e.keyword === 'additionalProperties') {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const hint = closest(key, known);
      line = `${joinPath(path, key)}: unknown key${hint ? ` (did you mean "${hint}"?)` : known.length ? ` (known keys: ${known.join(', ')})` : ''}`;
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      line = `${path || '(root)'}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    } else {
      line = `${path || '(root)'}: ${e.message ?? 'is invalid'}`;
    }
    if (!seen.has(line)) {
      seen.add(line);
      lines.push(line);
    }
  }
  return lines;
}

/** Validates or throws ERR_CONFIG_INVALID with every error as a detail line. */
export function assertValid(validator: ConfigValidator, value: unknown, what: string): void {
  const errors = validator(value);
  if (errors.length > 0) {
    throw new SockscopeError('ERR_CONFIG_INVALID', `${what}: ${errors.length} error${errors.length > 1 ? 's' : ''}`, errors);
  }
}

function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : p))
    .reduce((acc, p) => (p.startsWith('[') ? acc + p : acc ? `${acc}.${p}` : p), '');
}

function joinPath(a: string, b: string): string {
  if (!a) return b;
  if (!b) return a;
  return b.startsWith('[') ? a + b : `${a}.${b}`;
}

/** Deep-freezes a validated config so plugins cannot change it under each other. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
