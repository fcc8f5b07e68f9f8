import type { Logger } from '@nestjs/common';

/**
 * One warning per reason per interval, with the count of those it held back: a sender with a wrong key
 * or a broken framer repeats its mistake thousands of times a second, and the log must stay readable.
 */
export class ThrottledLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
  ) {}

  warn(reason: string, fields: Record<string, unknown>): void {
    const now = Date.now();
    const seen = this.last.get(reason);
    if (seen !== undefined && now - seen.at < this.intervalMs) {
      seen.suppressed += 1;
      return;
    }
    this.last.set(reason, { at: now, suppressed: 0 });
    this.logger.warn({
      ...fields,
      reason,
      ...(seen?.suppressed ? { suppressedSinceLast: seen.suppressed } : {}),
    });
  }
}
