import type { InterfaceInfo } from '@sockscope/core';
import { decimal, hex, quote, type Parsed } from './text.js';

/** The attribute files read from /sys/class/net/<device>/, relative to that directory. */
export const SYS_CLASS_NET_FILES = [
  'addr_assign_type', 'address', 'broadcast', 'carrier', 'carrier_changes', 'carrier_up_count',
  'carrier_down_count', 'dev_id', 'dormant', 'duplex', 'flags', 'ifalias', 'ifindex', 'iflink',
  'link_mode', 'mtu', 'name_assign_type', 'netdev_group', 'operstate', 'speed', 'tx_queue_len',
  'type', 'statistics/rx_nohandler',
] as const;

/** A file name from {@link SYS_CLASS_NET_FILES}. */
export type SysClassNetFile = (typeof SYS_CLASS_NET_FILES)[number];

/** What one interface directory says: its facts, and the rx_nohandler counter node_exporter adds to netdev. */
export interface SysClassNetIface {
  /** Facts for node_network_info and the per-property families. */
  info: InterfaceInfo;
  /** statistics/rx_nohandler, when readable. */
  rxNohandler?: number;
}

type NumericKey = Exclude<{ [K in keyof InterfaceInfo]-?: InterfaceInfo[K] extends number | undefined ? K : never }[keyof InterfaceInfo], 'speedBytes'>;

// File → field, for files holding one decimal number. flags and dev_id are hex (see below).
const DECIMAL: ReadonlyArray<readonly [SysClassNetFile, NumericKey]> = [
  ['addr_assign_type', 'addressAssignType'], ['carrier', 'carrier'], ['carrier_changes', 'carrierChanges'],
  ['carrier_up_count', 'carrierUpChanges'], ['carrier_down_count', 'carrierDownChanges'], ['dormant', 'dormant'],
  ['ifindex', 'ifindex'], ['iflink', 'iflink'], ['link_mode', 'linkMode'], ['mtu', 'mtu'],
  ['name_assign_type', 'nameAssignType'], ['netdev_group', 'netDevGroup'], ['tx_queue_len', 'txQueueLen'], ['type', 'type'],
];
const HEX: ReadonlyArray<readonly [SysClassNetFile, NumericKey]> = [['flags', 'flags'], ['dev_id', 'devId']];
const STRINGS = ['address', 'broadcast', 'operstate', 'duplex', 'ifalias'] as const;

/**
 * Parses the attribute files of one /sys/class/net/<device> directory. `files` maps a file name
 * to its content, or lacks it when the kernel refused the read (EINVAL for the carrier of a
 * down link, for instance): such facts are simply absent, as in node_exporter.
 */
export function parseSysClassNet(files: Partial<Record<SysClassNetFile, string>>): Parsed<SysClassNetIface> {
  const info: InterfaceInfo = {};
  const problems: string[] = [];
  const number = (file: SysClassNetFile, parse: (s: string) => number | undefined): number | undefined => {
    const raw = files[file];
    if (raw === undefined) return undefined;
    const v = parse(raw.trim());
    if (v === undefined) problems.push(`${file} line 1: not a number: ${quote(raw.trim())}`);
    return v;
  };
  for (const [file, key] of DECIMAL) {
    const v = number(file, decimal);
    if (v !== undefined) info[key] = v;
  }
  for (const [file, key] of HEX) {
    const v = number(file, hex);
    if (v !== undefined) info[key] = v;
  }
  for (const file of STRINGS) {
    const raw = files[file];
    if (raw !== undefined) info[file] = raw.trim();
  }
  // The kernel reports Mbit/s (-1 when unknown); node_exporter publishes bytes/s, truncated.
  const speed = number('speed', decimal);
  if (speed !== undefined) info.speedBytes = Math.trunc((speed * 1000 * 1000) / 8);
  if (info.flags !== undefined) info.up = (info.flags & 1) === 1;
  const value: SysClassNetIface = { info };
  const nohandler = number('statistics/rx_nohandler', decimal);
  if (nohandler !== undefined) value.rxNohandler = nohandler;
  return { value, problems };
}
