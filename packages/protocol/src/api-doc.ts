// Renders docs/API.md from the route table and the error table. The output is deterministic, so a
// test can compare it with the committed file and fail when the schemas and the docs disagree.
import { z } from 'zod';
import { errorCodes, type ErrorCode } from './errors.js';
import { routes, type RouteSpec } from './routes.js';
import { linkDownloadGuide } from './sharing.js';

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  const?: unknown;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
};

const knownPatterns: Record<string, string> = {
  '^[A-Za-z0-9_-]{22}$': 'id: 16 bytes, base64url',
  '^[A-Za-z0-9_-]{43}$': '32 bytes, base64url',
  '^[A-Za-z0-9_-]*$': 'base64url',
  '^[0-9a-f]{64}$': 'SHA-256, hex',
};

function stringHint(s: JsonSchema): string {
  const hints: string[] = [];
  if (s.format === 'date-time') hints.push('ISO-8601');
  else if (s.format) hints.push(s.format);
  if (s.pattern) hints.push(knownPatterns[s.pattern] ?? `pattern ${s.pattern}`);
  if (s.pattern === '^[A-Za-z0-9_-]*$' && s.maxLength !== undefined) {
    hints.push(`<= ${s.maxLength} chars`);
  } else if (!s.pattern && s.maxLength !== undefined) {
    hints.push(`<= ${s.maxLength} chars`);
  }
  return hints.length ? `string /* ${hints.join(', ')} */` : 'string';
}

function numberHint(s: JsonSchema, kind: string): string {
  const min = s.minimum;
  const max = s.maximum;
  const hints: string[] = [];
  if (min !== undefined && max !== undefined && max < Number.MAX_SAFE_INTEGER) hints.push(`${min}..${max}`);
  else if (min !== undefined) hints.push(`>= ${min}`);
  return hints.length ? `${kind} /* ${hints.join(', ')} */` : kind;
}

function render(s: JsonSchema, indent: string): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = s.anyOf ?? s.oneOf;
  if (union) return union.map((u) => render(u, indent)).join(' | ');
  if (s.allOf) return s.allOf.map((u) => render(u, indent)).join(' & ');
  const type = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (type.length > 1) return type.map((t) => render({ ...s, type: t }, indent)).join(' | ');
  switch (type[0]) {
    case 'object': {
      const props = Object.entries(s.properties ?? {});
      if (props.length === 0) return '{}';
      const inner = indent + '  ';
      const lines = props.map(([key, value]) => {
        const optional = s.required?.includes(key) ? '' : '?';
        return `${inner}${key}${optional}: ${render(value, inner)};`;
      });
      return `{\n${lines.join('\n')}\n${indent}}`;
    }
    case 'array':
      return `Array<${s.items ? render(s.items, indent) : 'unknown'}>`;
    case 'string':
      return stringHint(s);
    case 'integer':
      return numberHint(s, 'integer');
    case 'number':
      return numberHint(s, 'number');
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    default:
      return 'unknown';
  }
}

/** A compact TypeScript-like rendering of a zod schema (its input side, as sent on the wire). */
export function describeSchema(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as unknown as JsonSchema;
  return render(json, '');
}

function body(kind: RouteSpec['request'], label: string): string[] {
  if (kind === undefined) return [];
  if (kind === 'binary') return [`${label}: raw bytes (\`application/octet-stream\`).`, ''];
  return [`${label} (JSON):`, '', '```ts', describeSchema(kind), '```', ''];
}

/** The whole of docs/API.md. */
export function renderApiMarkdown(): string {
  const out: string[] = [
    '# Hoard HTTP API',
    '',
    '<!-- Generated from packages/protocol (routes.ts, errors.ts) by packages/server/src/scripts/generate-api-doc.ts.',
    '     Do not edit by hand: a test fails when this file and the schemas disagree. -->',
    '',
    'All bodies are JSON unless a route says otherwise; names are camelCase. Ids are 16 random bytes in',
    'base64url without padding (22 characters); binary fields are base64url strings; timestamps are',
    'ISO-8601 strings; sizes are integers in bytes. Authenticated routes take',
    '`Authorization: Bearer <sessionToken>`. A node of another account answers `NOT_FOUND`.',
    '',
    'Every route may also answer `VALIDATION_FAILED`, `MALFORMED_JSON`, `PAYLOAD_TOO_LARGE`,',
    '`UNSUPPORTED_MEDIA_TYPE`, `INTERNAL` and `UNAVAILABLE`; authenticated routes `UNAUTHENTICATED`.',
    'Unknown routes answer `NOT_FOUND`, a known path with another method `METHOD_NOT_ALLOWED` (with',
    '`Allow`), both in the same error format. While the server drains for shutdown, answers carry',
    '`Connection: close` and late requests get `UNAVAILABLE` with `Retry-After`.',
    '',
    '## Errors',
    '',
    'Every non-2xx answer has the body:',
    '',
    '```ts',
    describeSchema(z.object({ error: z.object({ code: z.string(), message: z.string() }) })),
    '```',
    '',
    '| code | HTTP status |',
    '| --- | --- |',
    ...(Object.entries(errorCodes) as [ErrorCode, number][]).map(
      ([code, status]) => `| ${code} | ${status} |`,
    ),
    '',
    '`RATE_LIMITED` answers carry a `Retry-After` header (seconds).',
    '',
    ...linkDownloadGuide,
    '## Routes',
    '',
  ];
  for (const spec of Object.values<RouteSpec>(routes)) {
    out.push(`### ${spec.method} ${spec.path}`, '', spec.summary, '');
    out.push(`- Auth: ${spec.auth ? 'session (`Authorization: Bearer`)' : 'none'}`);
    out.push(
      `- Success: ${spec.status}${spec.response === undefined && spec.status === 204 ? ' (no body)' : ''}`,
    );
    out.push(
      `- Errors: ${spec.errors.length ? spec.errors.map((c) => `\`${c}\``).join(', ') : 'none specific'}`,
    );
    if (spec.notes) out.push(`- Notes: ${spec.notes}`);
    out.push('');
    if (spec.query)
      out.push(
        'Query string (every parameter optional):',
        '',
        '```ts',
        describeSchema(spec.query),
        '```',
        '',
      );
    out.push(...body(spec.request, 'Request'));
    out.push(...body(spec.response, 'Response'));
  }
  return out.join('\n').replace(/\n+$/, '\n');
}
