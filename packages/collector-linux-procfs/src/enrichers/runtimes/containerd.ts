import { objectAt, readJsonObject, refused, stringAt, withoutUndefined } from './read-json.js';
import type { RuntimeContainer, RuntimeParseResult } from './types.js';

// containerd writes each task's OCI runtime spec to its bundle,
// <state>/io.containerd.runtime.v2.task/<namespace>/<id>/config.json (state default /run/containerd).
// The spec has no container id (the directory name is it), but its annotations carry what the
// CRI plugin knew when it created the container (containerd 1.6+ incl. 2.x, internal/cri/annotations),
// and nerdctl adds its own `nerdctl/*` annotations.

/** Annotation keys containerd's CRI plugin and nerdctl write into the bundle's config.json. */
export const CONTAINERD_ANNOTATIONS = {
  containerType: 'io.kubernetes.cri.container-type',
  containerName: 'io.kubernetes.cri.container-name',
  imageName: 'io.kubernetes.cri.image-name',
  sandboxName: 'io.kubernetes.cri.sandbox-name',
  sandboxNamespace: 'io.kubernetes.cri.sandbox-namespace',
  sandboxUid: 'io.kubernetes.cri.sandbox-uid',
  nerdctlName: 'nerdctl/name',
} as const;

/**
 * Parses a containerd OCI bundle `config.json` (containerd 1.7 and 2.x; CRI and nerdctl
 * containers) into a RuntimeContainer. `id` is the bundle directory's name. A file that is too
 * big, binary, truncated, not an object or not an OCI spec gives `undefined` and a reason.
 */
export function parseContainerdBundle(input: Buffer | string, id: string): RuntimeParseResult {
  const read = readJsonObject(input, `containerd bundle config.json of ${id}`);
  if (!read.object) return refused(read.reason);
  // every OCI runtime spec names its version; without it this is some other JSON file
  if (typeof read.object.ociVersion !== 'string') return refused(`containerd bundle config.json of ${id} has no ociVersion: not an OCI runtime spec`);
  const a = objectAt(read.object, 'annotations');
  const type = stringAt(a, CONTAINERD_ANNOTATIONS.containerType);
  const container: RuntimeContainer = {
    id,
    runtime: 'containerd',
    // a CRI sandbox (pause container) has no container name of its own: it stands for the pod
    name: stringAt(a, CONTAINERD_ANNOTATIONS.containerName, CONTAINERD_ANNOTATIONS.nerdctlName),
    pod: stringAt(a, CONTAINERD_ANNOTATIONS.sandboxName),
    namespace: stringAt(a, CONTAINERD_ANNOTATIONS.sandboxNamespace),
    podUid: stringAt(a, CONTAINERD_ANNOTATIONS.sandboxUid),
    image: stringAt(a, CONTAINERD_ANNOTATIONS.imageName),
    type: type === 'sandbox' || type === 'container' ? type : undefined,
  };
  return { container: withoutUndefined(container) };
}
