// The protocol's schemas, by the route whose answer each one parses. One place, so every answer
// the SDK reads is checked by the same zod schema the server answers with.

import {
  AccountResponse,
  AuthResponse,
  ContentLocationResponse,
  CurrentSessionResponse,
  ErrorBody,
  LoginStartResponse,
  NodeResponse,
  PartResponse,
  PartTargetResponse,
  PasswordStartResponse,
  RecoverStartResponse,
  SessionsResponse,
  SignupStartResponse,
  UploadResponse,
  VersionsResponse,
} from '@hoard/protocol';

export type { Account, Node, SessionInfo, Upload, Version } from '@hoard/protocol';

export const schemas = {
  signupStartResponse: SignupStartResponse,
  signupFinishResponse: AuthResponse,
  loginStartResponse: LoginStartResponse,
  loginFinishResponse: AuthResponse,
  sessionResponse: CurrentSessionResponse,
  recoverStartResponse: RecoverStartResponse,
  recoverFinishResponse: AuthResponse,
  accountResponse: AccountResponse,
  sessionsResponse: SessionsResponse,
  passwordStartResponse: PasswordStartResponse,
  nodeResponse: NodeResponse,
  versionsResponse: VersionsResponse,
  uploadResponse: UploadResponse,
  partResponse: PartResponse,
  partTargetResponse: PartTargetResponse,
  contentLocationResponse: ContentLocationResponse,
};

/** The code and message of a server error body; throws when the body is not one. */
export function parseErrorBody(data: unknown): { code: string; message: string } {
  return ErrorBody.parse(data).error;
}
