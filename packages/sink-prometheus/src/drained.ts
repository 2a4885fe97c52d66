import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';

/**
 * Resolves when `out` can take more (its 'drain'), or when the response is gone (the client hung
 * up): how the sink writes big answers (/metrics, /api/v1/connections) piece by piece without
 * buffering them, and stops when nobody reads.
 */
export function drained(out: Writable, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      res.off('close', done);
      resolve();
    };
    out.once('drain', done);
    res.once('close', done);
  });
}
