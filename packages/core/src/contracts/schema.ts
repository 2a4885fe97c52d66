/** A JSON Schema (draft-07 subset that ajv accepts) as a plain object. */
export type JSONSchemaType = Readonly<Record<string, unknown>>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type Primitive<T> = T extends 'string' ? string : T extends 'integer' | 'number' ? number : T extends 'boolean' ? boolean : T extends 'null' ? null : unknown;
type RequiredKeys<S, P> = {
  [K in keyof P]: P[K] extends { default: unknown } ? K : S extends { required: readonly (infer R)[] } ? (K extends R ? K : never) : never;
}[keyof P];
type ObjectOf<S> = S extends { properties: infer P }
  ? Simplify<{ readonly [K in RequiredKeys<S, P>]: ConfigOf<P[K]> } & { readonly [K in Exclude<keyof P, RequiredKeys<S, P>>]?: ConfigOf<P[K]> }>
  : S extends { additionalProperties: infer A extends object }
    ? Readonly<Record<string, ConfigOf<A>>>
    : Readonly<Record<string, unknown>>;

/**
 * The TypeScript type of a config that a schema (declared `as const`) validated, with its
 * defaults applied: a property with a `default` is always present. The schema stays the single
 * source of both the shape and the defaults.
 */
export type ConfigOf<S> = S extends { enum: readonly (infer E)[] }
  ? E
  : S extends { const: infer V }
    ? V
    : S extends { oneOf: readonly (infer U)[] }
      ? ConfigOf<U>
      : S extends { anyOf: readonly (infer U)[] }
        ? ConfigOf<U>
        : S extends { type: 'object' }
          ? ObjectOf<S>
          : S extends { type: 'array'; items: infer I }
            ? readonly ConfigOf<I>[]
            : S extends { type: readonly (infer T)[] }
              ? Primitive<T>
              : S extends { type: infer T }
                ? Primitive<T>
                : unknown;
