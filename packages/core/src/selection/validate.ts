import { globProblem } from './glob.js';
import { parseCidr } from './ip.js';
import { parsePortRange } from './ports.js';
import type { SelectionConfig, SelectionCriteria } from './schema.js';

/**
 * Checks what JSON Schema cannot: CIDR networks, addresses, port ranges, regular expressions
 * and name globs. Returns `path: message` lines (path prefixed with `pathPrefix`).
 */
export function validateSelection(sel: Partial<SelectionConfig> | undefined, pathPrefix: string): string[] {
  if (!sel) return [];
  return [
    ...validateCriteria(sel.include, `${pathPrefix}.include`),
    ...validateCriteria(sel.exclude, `${pathPrefix}.exclude`),
  ];
}

/** Checks one side of a selection; see {@link validateSelection}. */
export function validateCriteria(c: SelectionCriteria | undefined, path: string): string[] {
  if (!c) return [];
  const errors: string[] = [];
  (c.networks ?? []).forEach((n, i) => {
    if (typeof n !== 'string') return;
    const r = parseCidr(n);
    if (typeof r === 'string') errors.push(`${path}.networks[${i}]: invalid CIDR network: ${r}`);
  });
  (c.addresses ?? []).forEach((a, i) => {
    if (typeof a !== 'string') return;
    if (a.includes('/') || typeof parseCidr(a) === 'string') errors.push(`${path}.addresses[${i}]: "${a}" is not an IPv4 or IPv6 address (networks go under networks)`);
  });
  for (const key of ['local_ports', 'remote_ports', 'ports'] as const) {
    (c[key] ?? []).forEach((p, i) => {
      if (typeof p !== 'string' && typeof p !== 'number') return;
      const r = parsePortRange(p);
      if (typeof r === 'string') errors.push(`${path}.${key}[${i}]: invalid port range: ${r}`);
    });
  }
  (c.cmdline ?? []).forEach((re, i) => {
    if (typeof re !== 'string') return;
    try {
      new RegExp(re);
    } catch (err) {
      errors.push(`${path}.cmdline[${i}]: invalid regular expression: ${(err as Error).message}`);
    }
  });
  for (const key of ['containers', 'pods', 'namespaces', 'images'] as const) {
    (c[key] ?? []).forEach((g, i) => {
      if (typeof g !== 'string') return;
      const problem = globProblem(g);
      if (problem) errors.push(`${path}.${key}[${i}]: ${problem}`);
      else if (key === 'pods' && g.split('/').length > 2) {
        errors.push(`${path}.pods[${i}]: "${g}" has more than one "/": give a pod UID, a pod name glob, or namespace/pod (e.g. "prod/web-*")`);
      } else if (key === 'namespaces' && !/^[a-z0-9*?.-]+$/.test(g)) {
        errors.push(`${path}.namespaces[${i}]: "${g}" cannot match a Kubernetes namespace (lower-case letters, digits and "-" only, plus * and ?), e.g. "kube-*"`);
      }
    });
  }
  (c.hosts ?? []).forEach((h, i) => {
    if (typeof h === 'string' && !/^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/.test(h)) {
      errors.push(`${path}.hosts[${i}]: "${h}" is not a host name`);
    }
  });
  return errors;
}
