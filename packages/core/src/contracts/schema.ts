/** A JSON Schema (draft-07 subset that ajv accepts) as a plain object. */
export type JSONSchemaType = Readonly<Record<string, unknown>>;
