/**
 * Logs a condition when it changes, not every cycle: a gateway down for an
 * hour is one warning when it goes down and one info line when it is back.
 */
import type { Logger, LogFields } from './log.ts';

export class StateLog {
  private readonly log: Logger;
  private readonly states = new Map<string, string>();

  constructor(log: Logger) {
    this.log = log;
  }

  /** `problem` undefined means healthy. Returns whether the state changed. */
  report(key: string, problem: string | undefined, fields: LogFields = {}): boolean {
    const prev = this.states.get(key);
    if (prev === problem) return false;
    if (problem === undefined) {
      this.states.delete(key);
      this.log.info('recovered', { ...fields, previous_error: prev });
    } else {
      this.states.set(key, problem);
      this.log.warn('failing', { ...fields, err: problem });
    }
    return true;
  }

  /** Forgets a key without logging (e.g. a removed group). */
  forget(key: string): void {
    this.states.delete(key);
  }
}
