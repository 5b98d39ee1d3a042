// One error taxonomy and exit-code table for every command (SPEC §6).

export type ErrorCode =
  | 'FAILED'
  | 'USAGE'
  | 'INVALID'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'AUTH'
  | 'UNREACHABLE'
  | 'TIMEOUT';

export const EXIT_CODES: Record<ErrorCode, number> = {
  FAILED: 1,
  USAGE: 2,
  INVALID: 3,
  NOT_FOUND: 4,
  CONFLICT: 5,
  AUTH: 6,
  UNREACHABLE: 7,
  TIMEOUT: 124,
};

/** An error an operator reads: a code, one message, and what to do about it. */
export class MccsError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly actions: string[] = [],
    public readonly details?: unknown,
  ) {
    super(message);
    this.name = 'MccsError';
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }

  toJSON(): { code: ErrorCode; message: string; actions: string[]; details?: unknown } {
    return { code: this.code, message: this.message, actions: this.actions, ...(this.details === undefined ? {} : { details: this.details }) };
  }
}
