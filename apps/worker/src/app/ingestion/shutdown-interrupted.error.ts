/** A retry loop gave up because the shutdown budget ran out; the batch stays pending in Redis. */
export class ShutdownInterruptedError extends Error {
  constructor(what: string) {
    super(`shutdown interrupted: ${what}`);
    this.name = 'ShutdownInterruptedError';
  }
}
