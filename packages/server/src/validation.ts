// Parsing at the edge: every body and path parameter goes through a protocol zod schema before a
// service sees it; a failure is 400 VALIDATION_FAILED naming the fields (never echoing values).
import { Id } from '@hoard/protocol';
import type { z } from 'zod';
import { AppError } from './errors.js';

/** Parses `value` with `schema`, or throws VALIDATION_FAILED listing the offending fields. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`);
  throw new AppError('VALIDATION_FAILED', problems.join('; '), { cause: result.error });
}

/** A path parameter that must be an id; a malformed one cannot name anything, so it is NOT_FOUND. */
export function idParam(params: unknown, name: string): string {
  const value = (params as Record<string, unknown> | undefined)?.[name];
  const result = Id.safeParse(value);
  if (!result.success) throw new AppError('NOT_FOUND', `no such ${name === 'id' ? 'resource' : name}`);
  return result.data;
}
