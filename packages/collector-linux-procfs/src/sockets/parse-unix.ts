import { isListening, type SocketRecord, type SocketState } from '@sockscope/core';
import type { TablePass, TableVisitor } from './parse-inet.js';
import { LineCursor, forEachLine } from './scan.js';

// /proc/net/unix (unix_seq_show): "%pK: %08X %08X %08X %04X %02X %5lu[ path]"
// = Num, RefCount, Protocol, Flags, Type, St (socket_state), Inode, Path.

const COLON = 58;
// __SO_ACCEPTCON in Flags: the socket is listening.
const SO_ACCEPTCON = 1 << 16;
// enum socket_state (linux/net.h): SS_FREE, SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED, SS_DISCONNECTING.
const UNIX_STATES: readonly SocketState[] = ['CLOSE', 'CLOSE', 'SYN_SENT', 'ESTABLISHED', 'CLOSING'];

/**
 * Scans /proc/net/unix, handing the records of the lines `pass` picks to the visitor, with the
 * path as the local address (`@name` for abstract sockets, exactly as the kernel prints them,
 * NUL bytes shown as `@`). The file has no uid and no peer: uid is 0 and the remote endpoint empty.
 */
export function scanUnixTable(buf: Uint8Array, pass: TablePass, visitor: TableVisitor): void {
  const cur = new LineCursor(buf);
  const decoder = new TextDecoder();

  forEachLine(buf, (start, end, lineNo) => {
    cur.reset(start, end);
    if (!cur.skipBlanks()) return;
    if (lineNo === 1 && buf[cur.pos] === 78) return; // "Num ..." header
    // a line that fails before its state is known is reported by the `listening` pass only
    const early = (message: string) => void (pass !== 'others' && visitor.problem(lineNo, message));

    if (cur.hex(16) < 0 || !cur.expect(COLON)) return early('no "pointer:" column');
    cur.skipBlanks();
    if (cur.hex(8) < 0) return early('RefCount is not hex');
    cur.skipBlanks();
    if (cur.hex(8) < 0) return early('Protocol is not hex');
    cur.skipBlanks();
    const flags = cur.hex(8);
    if (flags < 0) return early('Flags is not hex');
    cur.skipBlanks();
    if (cur.hex(4) < 0) return early('Type is not hex');
    cur.skipBlanks();
    const st = cur.hex(2);
    if (st < 0) return early('St is not hex');
    const rec: SocketRecord = {
      protocol: 'unix',
      family: 'unix',
      state: flags & SO_ACCEPTCON ? 'LISTEN' : (UNIX_STATES[st] ?? 'UNKNOWN'),
      local: { address: '', port: 0 },
      remote: { address: '', port: 0 },
      inode: 0,
      uid: 0,
      recvQueue: 0,
      sendQueue: 0,
    };
    if (pass !== 'all' && isListening(rec) !== (pass === 'listening')) return;
    cur.skipBlanks();
    const inode = cur.dec();
    if (inode < 0 || !cur.atFieldEnd()) return void visitor.problem(lineNo, 'Inode is not a decimal in range');
    rec.inode = inode;
    // the path is the rest of the line after one space; it may itself contain spaces
    if (cur.pos + 1 < end) rec.local.address = decoder.decode(buf.subarray(cur.pos + 1, end));
    visitor.record(rec);
  });
}
