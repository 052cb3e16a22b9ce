// The server's structured logger (pino). Logs never contain tokens, keys, passwords or names: the
// app logs method, route pattern, status and timing only, and these paths are redacted should any
// object carrying them ever be logged.
import pino, { type DestinationStream, type Logger } from 'pino';

/** Fields that must never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'token',
  'secret',
  'password',
  'email',
];

/** A pino logger with the redactions above; `destination` defaults to stdout. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: 'hoard-server' },
  };
  return destination ? pino(options, destination) : pino(options);
}
