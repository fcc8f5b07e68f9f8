/** A failure the user can act on: cli.mjs prints its message (and details) without a stack trace. */
export class StackError extends Error {
  constructor(message, details = '') {
    super(message);
    this.name = 'StackError';
    this.details = details;
  }
}
