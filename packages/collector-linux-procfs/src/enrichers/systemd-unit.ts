// The systemd unit a process runs in, read from its cgroup path. systemd names every cgroup
// directory it manages after the unit that owns it (system.slice/nginx.service,
// user.slice/user-1000.slice/session-3.scope), the same on the cgroup v2 unified hierarchy
// ("0::" line of /proc/<pid>/cgroup) and on the v1 "name=systemd" hierarchy, so one path parser
// serves both.
//
// How this differs from parse-cgroup.ts's unitIn (which is left as it is, since the container
// enricher's output depends on it): unitIn answers "which .service/.scope is this, unless it is a
// container's own scope" and returns the directory name as it is. This module answers "which
// unit, of which kind, under which human name": it knows every unit type (slices, mounts, sockets
// too), reports a runtime's container scope as what it is (kind 'scope'; the caller, which also
// knows the container id from parseCgroup, prefers the container), and unescapes the name.

/**
 * The unit types systemd defines (systemd.unit(5)). Only services, scopes and slices usually
 * own processes; mount, swap and socket units own one while their helper command runs.
 */
export type SystemdUnitKind =
  | 'service'
  | 'scope'
  | 'slice'
  | 'socket'
  | 'mount'
  | 'automount'
  | 'swap'
  | 'target'
  | 'path'
  | 'timer'
  | 'device';

/** A systemd unit found in a cgroup path. */
export interface SystemdUnit {
  /** The unit name exactly as systemd spells it (`systemctl status` and journald's _SYSTEMD_UNIT take it), escapes kept, e.g. `systemd-fsck@dev-disk-by\x2duuid-1.service`. */
  unit: string;
  /** The unit type, its suffix. */
  kind: SystemdUnitKind;
  /** The name people use: the unit without its suffix, `\xNN` escapes decoded (`nginx.service` → `nginx`, `getty@tty1.service` → `getty@tty1`). */
  name: string;
}

const KINDS: ReadonlySet<string> = new Set<SystemdUnitKind>(['service', 'scope', 'slice', 'socket', 'mount', 'automount', 'swap', 'target', 'path', 'timer', 'device']);
// systemd's unit_name_is_valid(): a prefix of [A-Za-z0-9:_.\-] (a backslash only starts an
// escape), optionally "@instance" (the template's argument, same alphabet), then ".<type>".
// Anything else in a cgroup path (cgroupfs "/docker/<id>", "/kubepods/burstable/pod<uid>", a
// runtime's sub-cgroup inside a delegated unit) is not a unit and is skipped.
const UNIT_NAME = /^([A-Za-z0-9:_.\\-]+(?:@[A-Za-z0-9:_.\\-]*)?)\.([a-z]+)$/;
// UNIT_NAME_MAX is 256 including the terminating NUL
const UNIT_NAME_MAX = 255;

/**
 * The innermost systemd unit of a cgroup path (v2 unified or v1 name=systemd hierarchy), or
 * undefined when no path segment is a unit name (the root "/", cgroupfs-driver layouts, a
 * process inside a cgroup namespace that hides the host's tree).
 *
 * Innermost wins because the process belongs to the deepest cgroup: in
 * `/user.slice/user-1000.slice/session-3.scope` it is the session, not the user's slice. A
 * container runtime's scope (`docker-<id>.scope`, `cri-containerd-<id>.scope`, `libpod-<id>.scope`,
 * `crio-<id>.scope`) comes back as kind 'scope' with its own name; callers that also know the
 * container should name the socket's owner by the container instead.
 */
export function systemdUnit(cgroupPath: string): SystemdUnit | undefined {
  // scan from the end without splitting: this runs once per owner cgroup, but cheaply is free
  let end = cgroupPath.length;
  while (end > 0) {
    const slash = cgroupPath.lastIndexOf('/', end - 1);
    const seg = cgroupPath.slice(slash + 1, end);
    end = slash < 0 ? 0 : slash;
    const found = unitOf(seg);
    if (found) return found;
  }
  return undefined;
}

function unitOf(seg: string): SystemdUnit | undefined {
  if (seg.length === 0 || seg.length > UNIT_NAME_MAX) return undefined;
  const m = UNIT_NAME.exec(seg);
  const prefix = m?.[1];
  const kind = m?.[2];
  if (prefix === undefined || kind === undefined || !KINDS.has(kind)) return undefined;
  return { unit: seg, kind: kind as SystemdUnitKind, name: unescapeUnitName(prefix) };
}

/**
 * Decodes systemd's `\xNN` escapes (systemd-escape(1)) in a unit name: `system-systemd\x2dfsck`
 * → `system-systemd-fsck`. Escaped bytes are UTF-8, so a run of them is decoded together. Only
 * the escapes are undone: whether a '-' stood for '/' (path escaping) cannot be told from the
 * name alone, so dashes stay dashes. A malformed escape is kept as written.
 */
export function unescapeUnitName(escaped: string): string {
  if (!escaped.includes('\\')) return escaped; // the common case: nothing to decode
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; ) {
    const hex = escaped[i] === '\\' && escaped[i + 1] === 'x' ? escaped.slice(i + 2, i + 4) : '';
    if (hex.length === 2 && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 4;
    } else {
      // unit names are ASCII apart from escapes, but stay correct if one is not
      const code = escaped.codePointAt(i) ?? 0;
      const ch = String.fromCodePoint(code);
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
      i += ch.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
