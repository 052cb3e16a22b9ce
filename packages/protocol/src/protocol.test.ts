import { describe, expect, it } from 'vitest';
import {
  CompleteUploadRequest,
  Email,
  ErrorBody,
  Id,
  NodeId,
  SignupStartRequest,
  UpdateNodeRequest,
  b64u,
  errorCodes,
  isErrorCode,
  routes,
  statusOf,
} from './index.js';

const id = 'AAAAAAAAAAAAAAAAAAAAAA';
const hash = 'A'.repeat(43);

describe('ids and encodings', () => {
  it('accepts 16-byte base64url ids and rejects anything else', () => {
    expect(Id.safeParse(id).success).toBe(true);
    expect(NodeId.safeParse('short').success).toBe(false);
    expect(NodeId.safeParse(id + 'A').success).toBe(false);
    expect(NodeId.safeParse('AAAAAAAAAAAAAAAAAAAAA=').success).toBe(false);
    expect(NodeId.safeParse('AAAAAAAAAAAAAAAAAAAA+/').success).toBe(false);
  });

  it('bounds base64url fields by their decoded size', () => {
    const field = b64u(3);
    expect(field.safeParse('AAAA').success).toBe(true);
    expect(field.safeParse('AAAAA').success).toBe(false);
    expect(field.safeParse('AA=A').success).toBe(false);
  });

  it('trims and lowercases e-mail addresses', () => {
    expect(Email.parse('  Alice@Example.COM ')).toBe('alice@example.com');
    expect(Email.safeParse('not an email').success).toBe(false);
    expect(SignupStartRequest.parse({ email: 'A@B.io', registrationRequest: 'abc' }).email).toBe('a@b.io');
  });
});

describe('error table', () => {
  it('maps the contract codes to their statuses', () => {
    expect(statusOf('NOT_FOUND')).toBe(404);
    expect(statusOf('REVISION_CONFLICT')).toBe(409);
    expect(statusOf('RATE_LIMITED')).toBe(429);
    expect(statusOf('PAYLOAD_TOO_LARGE')).toBe(413);
    expect(statusOf('LINK_EXPIRED')).toBe(410);
    expect(statusOf('LINK_DISABLED')).toBe(451);
    // Every status is an HTTP error status.
    for (const status of Object.values(errorCodes)) expect(status).toBeGreaterThanOrEqual(400);
  });

  it('recognises codes and parses error bodies with unknown future codes', () => {
    expect(isErrorCode('NAME_TAKEN')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(ErrorBody.parse({ error: { code: 'SOMETHING_NEW', message: 'x' } }).error.code).toBe(
      'SOMETHING_NEW',
    );
  });
});

describe('request schemas', () => {
  it('requires a move to carry the re-wrapped key and name hash', () => {
    expect(UpdateNodeRequest.safeParse({ revision: 1, parentId: id }).success).toBe(false);
    expect(
      UpdateNodeRequest.safeParse({ revision: 1, parentId: id, wrappedKey: 'AAAA', nameHash: hash }).success,
    ).toBe(true);
    expect(UpdateNodeRequest.safeParse({ revision: 1, wrappedKey: 'AAAA' }).success).toBe(false);
    expect(UpdateNodeRequest.safeParse({ revision: 0 }).success).toBe(false);
  });

  it('tells the two kinds of upload completion apart', () => {
    const version = { id, wrappedKey: 'AAAA', encryptedAttrs: 'AAAA' };
    expect(CompleteUploadRequest.parse({ kind: 'new-version', nodeId: id, revision: 3, version }).kind).toBe(
      'new-version',
    );
    expect(CompleteUploadRequest.safeParse({ kind: 'new-file', version }).success).toBe(false);
  });

  it('lists each method and path once in the route table', () => {
    const keys = Object.values(routes).map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
