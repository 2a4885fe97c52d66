// DataView reads are what V8 compiles to plain loads: getUint32 several times faster than
// Buffer's readUInt32LE, getBigUint64 one BigInt instead of readBigUInt64LE's four. A dump
// parses every datagram out of the same receive buffer, so the view is kept for it.

let lastBuf: Buffer | undefined;
let lastView: DataView | undefined;

/** A DataView over exactly `buf`'s bytes, reused while the same buffer comes back. */
export function viewOf(buf: Buffer): DataView {
  if (buf !== lastBuf || lastView === undefined) {
    lastView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    lastBuf = buf;
  }
  return lastView;
}
