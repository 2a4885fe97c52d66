import { Ajv, type ErrorObject, type SchemaValidateFunction, type ValidateFunction } from 'ajv';
import type { JSONSchemaType } from '../contracts/schema.js';
import { SockscopeError } from '../errors.js';
import { closest } from './did-you-mean.js';
import { DURATION_KEYWORD, durationProblem, isDurationSchema, type DurationRange } from './duration.js';

/** A compiled validator: applies schema defaults in place and returns every error as `path: message`. */
export type ConfigValidator = (value: unknown) => string[];

/** Checks a duration's form and range ({@link durationSchema}); one error naming what is wrong. */
const validateDuration: SchemaValidateFunction = (range: DurationRange, data: unknown): boolean => {
  const problem = durationProblem(data, range);
  validateDuration.errors = problem === undefined ? [] : [{ keyword: DURATION_KEYWORD, message: problem, params: {} }];
  return problem === undefined;
};

/**
 * A copy of a schema in which every duration carries the range keyword: a plugin built with an
 * older `durationSchema` (the `anyOf` alone) is held to the same range.
 */
function withDurationRanges(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withDurationRanges);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = withDurationRanges(v);
  if (isDurationSchema(node) && !(DURATION_KEYWORD in out)) out[DURATION_KEYWORD] = {};
  return out;
}

/**
 * Compiles a JSON Schema once; the returned function validates, fills defaults and lists errors.
 * Durations ({@link durationSchema}) are checked for their form and range, each in one line.
 */
export function compileConfigSchema(schema: JSONSchemaType, root = ''): ConfigValidator {
  let validate = compiled.get(schema);
  if (!validate) {
    const copy = withDurationRanges(schema) as object;
    const ajv = (sharedAjv ??= newAjv());
    try {
      validate = ajv.compile(copy);
    } finally {
      // the validator stays usable; the instance keeps only the meta-schema, so a reload's new
      // composed schema does not pile up in it and a schema with an $id can be compiled again
      ajv.removeSchema(copy);
    }
    compiled.set(schema, validate);
  }
  const run = validate;
  return (value: unknown) => {
    if (run(value)) return [];
    return formatErrors(run.errors ?? [], root);
  };
}

/**
 * One Ajv for every config schema: each new instance compiled the JSON Schema meta-schema again to
 * check the schema it was given, about half of the agent's start-up (measured with --cpu-prof on
 * the release bundle: 0.5 s of 1 s). Compiled validators are kept per schema object (plugin
 * schemas are constants, compiled once however many contexts are made from them).
 */
let sharedAjv: Ajv | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, useDefaults: true, strict: false, allowUnionTypes: true });
  ajv.addKeyword({ keyword: DURATION_KEYWORD, schemaType: 'object', errors: true, validate: validateDuration });
  return ajv;
}

/** Turns ajv errors into `path: message` lines a person can act on. */
export function formatErrors(errors: readonly ErrorObject[], root = ''): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  // a duration says in one line what is wrong: its anyOf branches (string pattern, number) say no more
  const durations = new Set(errors.filter((e) => e.keyword === DURATION_KEYWORD).map((e) => e.instancePath));
  for (const e of errors) {
    // oneOf/anyOf summaries repeat what their branches already said.
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
    if (durations.has(e.instancePath) && e.keyword !== DURATION_KEYWORD && e.schemaPath.includes('/anyOf/')) continue;
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
