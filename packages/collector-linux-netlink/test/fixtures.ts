import { readFileSync } from 'node:fs';
import type { Protocol, SocketRecord } from '@sockscope/core';
import { parseDumpDatagram, type DatagramOutcome } from '../src/parse/dump-datagram.js';

const dir = new URL('./fixtures/', import.meta.url);

/** One socket the capture script opened, as it wrote it to manifest.json. */
export interface ManifestSocket {
  name: string;
  inode: number;
  protocol: Protocol;
  family: 'ipv4' | 'ipv6';
  state?: string;
  local: { address: string; port: number };
  remote?: { address: string; port: number };
  v6only?: boolean;
  backlog?: number;
  sent?: number;
  received?: number;
  connections?: number;
}

/** manifest.json of the captured fixtures. */
export const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as {
  kernel: string;
  files: Record<string, string[]>;
  sockets: ManifestSocket[];
};

/** A captured datagram file. */
export function fixture(name: string): Buffer {
  return readFileSync(new URL(name, dir));
}

/** `ss -tuanemiH` as printed right after the dumps. */
export const ssText = readFileSync(new URL('ss-tuanemiH.txt', dir), 'utf8');

/** Sequence numbers the capture script used per dump. */
export const DUMP_SEQ: Record<string, number> = { tcp4: 101, tcp6: 102, udp4: 103, udp6: 104, 'error-family99': 105 };

/** Parses every datagram of one captured dump, as the collector would. */
export function parseCapturedDump(label: string): { records: SocketRecord[]; outcomes: DatagramOutcome[] } {
  const records: SocketRecord[] = [];
  const protocol: Protocol = label.startsWith('udp') ? 'udp' : 'tcp';
  const outcomes = (manifest.files[label] ?? []).map((f) => {
    const buf = fixture(f);
    return parseDumpDatagram(buf, buf.length, DUMP_SEQ[label] ?? 0, protocol, (r) => void records.push(r));
  });
  return { records, outcomes };
}
