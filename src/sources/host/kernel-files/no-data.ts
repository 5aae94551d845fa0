/**
 * node_exporter's usual way of reading a collector's source: when what it
 * reads is absent the collector has no data (ErrNoData: success 0, logged at
 * debug only); any other failure is an error, with context in front.
 */
import { isNotExist } from './read.ts';

/**
 * Thrown when the collector's data source is absent on this host: the
 * collector then emits nothing and reports success 0, as node_exporter's
 * ErrNoData does, but nothing is logged above debug.
 */
export class NoDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoDataError';
  }
}

export interface NoDataRules {
  /** Which failures mean the source is absent; Go's errors.Is(err, os.ErrNotExist) (ENOENT) unless told. */
  absent?: (err: unknown) => boolean;
  /** The NoDataError's message; a function gets the failure, to include its text. */
  noData: string | ((err: Error) => string);
  /** Put in front of any other failure's message; without it that failure is rethrown as it is. */
  context?: string;
}

export async function readOrNoData<T>(read: () => Promise<T>, rules: NoDataRules): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if ((rules.absent ?? isNotExist)(err)) throw new NoDataError(typeof rules.noData === 'string' ? rules.noData : rules.noData(err as Error));
    if (rules.context === undefined) throw err;
    throw new Error(`${rules.context}: ${(err as Error).message}`, { cause: err });
  }
}
