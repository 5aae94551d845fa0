/** An error that says why in one word a counter can take as a label value (e.g. a config key). */
export class ReasonedError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.reason = reason;
  }
}
