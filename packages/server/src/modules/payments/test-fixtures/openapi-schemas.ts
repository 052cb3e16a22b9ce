// Loads BTCPay's Greenfield OpenAPI templates (shared/specs/btcpay-greenfield) and validates JSON
// values against their component schemas: the subset of OpenAPI 3.0 those files use (type,
// nullable, enum, format decimal/int32, properties, required, additionalProperties, items, allOf,
// anyOf, oneOf, $ref across the template files). Tests use it to hold the Greenfield fixture to the
// letter of the specification. Test-only.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Schema {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
}

/** The specs folder: ../shared/specs/btcpay-greenfield beside the repository (or HOARD_GREENFIELD_SPECS). */
export function greenfieldSpecsDir(
  repoRoot: string,
  env: Record<string, string | undefined> = process.env,
): string {
  return env.HOARD_GREENFIELD_SPECS ?? join(repoRoot, '..', 'shared', 'specs', 'btcpay-greenfield');
}

export function specsAvailable(dir: string): boolean {
  return existsSync(join(dir, 'swagger.template.invoices.json'));
}

export class OpenApiSchemas {
  readonly schemas = new Map<string, Schema>();
  /** x-webhooks by event type -> request body schema. */
  readonly webhooks = new Map<string, Schema>();

  constructor(dir: string) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        components?: { schemas?: Record<string, Schema> };
        'x-webhooks'?: Record<
          string,
          { post?: { requestBody?: { content?: Record<string, { schema?: Schema }> } } }
        >;
      };
      for (const [name, schema] of Object.entries(doc.components?.schemas ?? {}))
        this.schemas.set(name, schema);
      for (const [name, hook] of Object.entries(doc['x-webhooks'] ?? {})) {
        const schema = hook.post?.requestBody?.content?.['application/json']?.schema;
        if (schema) this.webhooks.set(name, schema);
      }
    }
  }

  resolve(schema: Schema): Schema {
    let current = schema;
    for (let depth = 0; current.$ref !== undefined; depth++) {
      const name = /^#\/components\/schemas\/(.+)$/.exec(current.$ref)?.[1];
      const target = name === undefined ? undefined : this.schemas.get(name);
      if (!target || depth > 20) throw new Error(`unresolvable $ref ${current.$ref}`);
      current = target;
    }
    return current;
  }

  /** Every problem of `value` against the component schema `name` (empty: valid). */
  validate(name: string, value: unknown): string[] {
    const schema = this.schemas.get(name);
    if (!schema) throw new Error(`no schema ${name}`);
    const problems: string[] = [];
    this.#check(schema, value, name, problems, new Set());
    return problems;
  }

  /** Validates against an inline schema (e.g. a webhook's request body). */
  validateSchema(schema: Schema, value: unknown, path: string): string[] {
    const problems: string[] = [];
    this.#check(schema, value, path, problems, new Set());
    return problems;
  }

  /** Property names an object schema declares, through allOf and $ref. */
  #declared(schema: Schema, into: Set<string>): Set<string> {
    const s = this.resolve(schema);
    for (const key of Object.keys(s.properties ?? {})) into.add(key);
    for (const part of s.allOf ?? []) this.#declared(part, into);
    return into;
  }

  #check(raw: Schema, value: unknown, path: string, problems: string[], siblings: Set<string>): void {
    const schema = this.resolve(raw);
    if (value === null) {
      if (!schema.nullable && schema.type !== undefined) problems.push(`${path}: null is not allowed`);
      return;
    }
    if (schema.allOf) {
      // additionalProperties: false in one part allows the properties the other parts declare.
      const declared = this.#declared(schema, new Set(siblings));
      for (const part of schema.allOf) this.#check(part, value, path, problems, declared);
    }
    if (schema.anyOf || schema.oneOf) {
      const options = schema.anyOf ?? schema.oneOf ?? [];
      const passing = options.filter((option) => this.validateSchema(option, value, path).length === 0);
      if (passing.length === 0) problems.push(`${path}: matches none of ${options.length} alternatives`);
    }
    if (schema.enum && !schema.enum.includes(value))
      problems.push(`${path}: ${JSON.stringify(value)} is not one of the enum`);
    switch (schema.type) {
      case 'string':
        if (typeof value !== 'string') problems.push(`${path}: not a string`);
        else if (schema.format === 'decimal' && !/^-?\d+(\.\d+)?$/.test(value))
          problems.push(`${path}: not a decimal string`);
        break;
      case 'number':
      case 'integer':
        if (typeof value !== 'number' || !Number.isFinite(value)) problems.push(`${path}: not a number`);
        else if (
          (schema.type === 'integer' || schema.format === 'int32' || schema.format === 'int64') &&
          !Number.isInteger(value)
        ) {
          problems.push(`${path}: not an integer`);
        } else {
          if (schema.minimum !== undefined && value < schema.minimum)
            problems.push(`${path}: below ${schema.minimum}`);
          if (schema.maximum !== undefined && value > schema.maximum)
            problems.push(`${path}: above ${schema.maximum}`);
        }
        break;
      case 'boolean':
        if (typeof value !== 'boolean') problems.push(`${path}: not a boolean`);
        break;
      case 'array':
        if (!Array.isArray(value)) problems.push(`${path}: not an array`);
        else if (schema.items)
          value.forEach((item, i) =>
            this.#check(schema.items as Schema, item, `${path}[${i}]`, problems, new Set()),
          );
        break;
      case 'object':
        if (typeof value !== 'object' || Array.isArray(value)) problems.push(`${path}: not an object`);
        break;
      default:
        break;
    }
    if (
      typeof value === 'object' &&
      !Array.isArray(value) &&
      (schema.properties || schema.required || schema.additionalProperties !== undefined)
    ) {
      const record = value as Record<string, unknown>;
      for (const key of schema.required ?? [])
        if (!(key in record)) problems.push(`${path}.${key}: required`);
      for (const [key, item] of Object.entries(record)) {
        const property = schema.properties?.[key];
        if (property) this.#check(property, item, `${path}.${key}`, problems, new Set());
        else if (schema.additionalProperties === false && !siblings.has(key))
          problems.push(`${path}.${key}: not in the schema`);
        else if (typeof schema.additionalProperties === 'object') {
          this.#check(schema.additionalProperties, item, `${path}.${key}`, problems, new Set());
        }
      }
    }
  }
}
