import { open } from 'node:fs/promises';

// procfs files report size 0, so fs.readFile reads them in 64 KiB chunks: a 30k-socket tcp6
// table (4-5 MB) then costs ~70 kernel seq_file restarts and threadpool round trips. Reading
// into one buffer that grows to fit and is reused across collections takes a few reads.

const INITIAL_BYTES = 256 * 1024;

/** Reads whole files into a reusable, growing buffer; the returned bytes are valid until the next read. */
export class WholeFileReader {
  private spare: Buffer | undefined;

  /** Reads `path` to its end with as few read() calls as the buffer allows; honours `signal` between reads. */
  async read(path: string, signal: AbortSignal): Promise<Buffer> {
    // a concurrent caller gets its own buffer rather than one in use
    let buf = this.spare ?? Buffer.allocUnsafe(INITIAL_BYTES);
    this.spare = undefined;
    const fh = await open(path, 'r');
    try {
      let n = 0;
      for (;;) {
        signal.throwIfAborted();
        if (n === buf.length) {
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, n);
          buf = bigger;
        }
        const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
        if (bytesRead === 0) break;
        n += bytesRead;
      }
      return buf.subarray(0, n);
    } finally {
      await fh.close();
    }
  }

  /** Hands the buffer of the last read back for reuse once its bytes are parsed. */
  release(bytes: Buffer): void {
    this.spare = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.buffer.byteLength - bytes.byteOffset);
  }
}
