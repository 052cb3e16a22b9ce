// Interactive input on a terminal: passwords without echo, plain lines with echo. Used only when
// stdin is a TTY; scripts pass HOARD_PASSWORD / HOARD_RECOVERY_WORDS instead.

import type { Readable, Writable } from 'node:stream';

type TtyIn = Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

/** Thrown when the user presses Ctrl-C or Ctrl-D at a prompt. */
export class PromptCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** Reads one line from a terminal; with `hidden`, nothing is echoed. */
export function promptLine(
  input: TtyIn,
  output: Writable,
  question: string,
  hidden: boolean,
): Promise<string> {
  output.write(question);
  return new Promise((resolve, reject) => {
    let answer = '';
    const raw = Boolean(input.isTTY && input.setRawMode);
    if (raw) input.setRawMode!(true);
    input.resume();
    input.setEncoding('utf8');
    const done = (error?: Error): void => {
      input.removeListener('data', onData);
      if (raw) input.setRawMode!(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (data: string): void => {
      for (const ch of data) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new PromptCancelled());
        if (ch === '\u007f' || ch === '\b') {
          if (answer.length > 0) {
            answer = answer.slice(0, -1);
            if (!hidden && raw) output.write('\b \b');
          }
          continue;
        }
        answer += ch;
        if (!hidden && raw) output.write(ch);
      }
    };
    input.on('data', onData);
  });
}
