import type { RuntimeParseResult } from './types.js';

/**
 * Largest state file parsed, in bytes. Real config.json / config.v2.json files are a few KiB to a
 * few hundred KiB (big environments and mount lists); anything much larger is not a runtime's
 * file, and JSON.parse of a huge one would stall the scrape and hold its memory.
 */
export const MAX_RUNTIME_FILE_BYTES = 4 * 1024 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A JSON object as read from disk, or why it could not be had. */
export type JsonObjectResult = { object: Record<string, unknown>; reason?: undefined } | { object: undefined; reason: string };

/**
 * Reads `input` as one JSON object, refusing (never throwing) what is too big, binary, not
 * UTF-8, not JSON (a file cut short while the runtime wrote it) or not an object. `what` names
 * the file in the reason, e.g. `containerd config.json`.
 */
export function readJsonObject(input: Buffer | string, what: string): JsonObjectResult {
  // size first, so a 50 MB file costs nothing beyond having been read
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > MAX_RUNTIME_FILE_BYTES) return { object: undefined, reason: `${what} is ${size} bytes, over the ${MAX_RUNTIME_FILE_BYTES}-byte bound; not parsed` };
  if (size === 0) return { object: undefined, reason: `${what} is empty` };
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = decoder.decode(input);
    } catch {
      return { object: undefined, reason: `${what} is not UTF-8 text (binary?)` };
    }
  }
  // JSON never holds a raw NUL; a NUL means a binary or zero-filled (crashed write) file
  if (text.includes('\u0000')) return { object: undefined, reason: `${what} holds NUL bytes (binary or zero-filled)` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { object: undefined, reason: `${what} is not valid JSON (truncated?): ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { object: undefined, reason: `${what} is JSON but not an object (${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})` };
  }
  return { object: value as Record<string, unknown> };
}

/** A JSON array as read from disk, or why it could not be had. */
export type JsonArrayResult = { array: unknown[]; reason?: undefined } | { array: undefined; reason: string };

/**
 * Reads `input` as one JSON array (containers/storage's containers.json and images.json), with
 * the refusals of {@link readJsonObject}: too big, binary, not UTF-8, not JSON, not an array.
 */
export function readJsonArray(input: Buffer | string, what: string): JsonArrayResult {
  // the same refusals as readJsonObject, in the same order, for a top-level array
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > MAX_RUNTIME_FILE_BYTES) return { array: undefined, reason: `${what} is ${size} bytes, over the ${MAX_RUNTIME_FILE_BYTES}-byte bound; not parsed` };
  if (size === 0) return { array: undefined, reason: `${what} is empty` };
  let text: string;
  try {
    text = typeof input === 'string' ? input : decoder.decode(input);
  } catch {
    return { array: undefined, reason: `${what} is not UTF-8 text (binary?)` };
  }
  if (text.includes('\u0000')) return { array: undefined, reason: `${what} holds NUL bytes (binary or zero-filled)` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { array: undefined, reason: `${what} is not valid JSON (truncated?): ${(error as Error).message}` };
  }
  if (!Array.isArray(value)) return { array: undefined, reason: `${what} is JSON but not an array (${value === null ? 'null' : typeof value})` };
  return { array: value };
}

/** `value[key]` when it is a JSON object, else undefined. */
export function objectAt(value: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const found = value[key];
  return typeof found === 'object' && found !== null && !Array.isArray(found) ? (found as Record<string, unknown>) : undefined;
}

/** The first of `keys` whose value in `map` is a non-empty string. */
export function stringAt(map: Record<string, unknown> | undefined, ...keys: string[]): string | undefined {
  if (!map) return undefined;
  for (const key of keys) {
    const found = map[key];
    if (typeof found === 'string' && found !== '') return found;
  }
  return undefined;
}

/** `container` with the fields whose value is undefined left out, so results compare cleanly. */
export function withoutUndefined<T extends object>(container: T): T {
  return Object.fromEntries(Object.entries(container).filter(([, v]) => v !== undefined)) as T;
}

/** A failed parse with its reason. */
export function refused(reason: string): RuntimeParseResult {
  return { container: undefined, reason };
}
