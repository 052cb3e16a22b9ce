// Numbers and dates as people read them.
import { ApiError, ClientError, NetworkError } from '@hoard/client';
import { QUOTA_EXCEEDED_MESSAGE } from '../shared/quota-message';

export { formatBytes } from '../lib/format-bytes';

export function formatDate(iso: string | number): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** A sentence for the person in front of the screen, whatever went wrong. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    switch (error.code) {
      case 'LOGIN_FAILED':
        return 'Wrong email or password.';
      case 'UNAUTHENTICATED':
        return 'Your session has ended. Log in again.';
      case 'REAUTH_REQUIRED':
        return 'For this, log out and log in again first (it needs a fresh login).';
      case 'RECOVERY_FAILED':
        return 'Those recovery words do not open this account.';
      case 'NOT_FOUND':
        return 'That file or folder does not exist (any more).';
      case 'NAME_TAKEN':
        return 'Something of that name is already there.';
      case 'QUOTA_EXCEEDED':
        return QUOTA_EXCEEDED_MESSAGE;
      case 'RATE_LIMITED':
        return `Too many attempts. Try again${error.retryAfterSeconds ? ` in ${error.retryAfterSeconds} s` : ' later'}.`;
      case 'EMAIL_TAKEN':
        return 'An account with that email already exists.';
      default:
        return error.message.charAt(0).toUpperCase() + error.message.slice(1) + '.';
    }
  }
  if (error instanceof NetworkError)
    return 'The server cannot be reached. Check your connection and try again.';
  if (error instanceof ClientError) return error.message;
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
