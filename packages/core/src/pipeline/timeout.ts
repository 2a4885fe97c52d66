import { SockscopeError } from '../errors.js';

/** Runs a task against a timeout; the abort signal tells the task to give up, the rejection is ERR_COLLECTOR_TIMEOUT. */
export async function withTimeout<T>(name: string, timeoutMs: number, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new SockscopeError('ERR_COLLECTOR_TIMEOUT', `${name} timed out after ${timeoutMs} ms`);
      ac.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    // a task that throws synchronously becomes a rejection, like one that rejects
    return await Promise.race([Promise.resolve().then(() => task(ac.signal)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
