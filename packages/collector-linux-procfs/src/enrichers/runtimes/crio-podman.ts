import { objectAt, readJsonObject, refused, stringAt, withoutUndefined } from './read-json.js';
import type { RuntimeContainer, RuntimeParseResult } from './types.js';

// CRI-O and Podman share containers/storage, and both keep each container's OCI runtime spec at
// <storage>/overlay-containers/<id>/userdata/config.json (/run/containers/storage for CRI-O,
// /var/lib/containers/storage for root Podman). `io.container.manager` says which wrote it:
// "cri-o" or "libpod" (cri-o pkg/annotations, Podman's pkg/annotations).
//
// CRI-O copies the kubelet's pod labels (io.kubernetes.pod.*, io.kubernetes.container.name) into
// the spec annotations and adds its own io.kubernetes.cri-o.* keys; a sandbox carries the pod
// name and namespace in io.kubernetes.cri-o.KubeName / Namespace.
//
// Podman's spec annotations (libpod/define/annotations.go) are flags such as
// io.podman.annotations.autoremove/init/privileged: Podman keeps a container's name and image in
// its own database (bolt_state.db / db.sql), not in config.json. What the spec does give is read
// here: user annotations, kube play's io.kubernetes.* keys, and the CRI-O-compatible keys when set.

/** Annotation keys read from a CRI-O or Podman `userdata/config.json`. */
export const CRIO_ANNOTATIONS = {
  manager: 'io.container.manager',
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
  containerId: 'io.kubernetes.cri-o.ContainerID',
  containerType: 'io.kubernetes.cri-o.ContainerType',
  kubeName: 'io.kubernetes.cri-o.KubeName',
  namespace: 'io.kubernetes.cri-o.Namespace',
  imageName: 'io.kubernetes.cri-o.ImageName',
  userImage: 'io.kubernetes.cri-o.Image',
} as const;

/**
 * Parses a CRI-O or Podman `overlay-containers/<id>/userdata/config.json` into a
 * RuntimeContainer; the runtime is `podman` when `io.container.manager` is `libpod`, else
 * `cri-o`. `id` is the directory's name (CRI-O's own ContainerID annotation wins when present).
 * A file that is too big, binary, truncated, not an object or not an OCI spec gives `undefined`
 * and a reason.
 */
export function parseCrioPodmanConfig(input: Buffer | string, id: string): RuntimeParseResult {
  const what = `containers/storage userdata/config.json of ${id}`;
  const read = readJsonObject(input, what);
  if (!read.object) return refused(read.reason);
  if (typeof read.object.ociVersion !== 'string') return refused(`${what} has no ociVersion: not an OCI runtime spec`);
  const a = objectAt(read.object, 'annotations');
  const podman = stringAt(a, CRIO_ANNOTATIONS.manager) === 'libpod';
  const type = stringAt(a, CRIO_ANNOTATIONS.containerType);
  const container: RuntimeContainer = {
    id: stringAt(a, CRIO_ANNOTATIONS.containerId) ?? id,
    runtime: podman ? 'podman' : 'cri-o',
    // a sandbox stands for the pod; the kubelet's "POD" container name is not a name
    name: type === 'sandbox' ? undefined : stringAt(a, CRIO_ANNOTATIONS.containerName),
    pod: stringAt(a, CRIO_ANNOTATIONS.podName, CRIO_ANNOTATIONS.kubeName),
    namespace: stringAt(a, CRIO_ANNOTATIONS.podNamespace, CRIO_ANNOTATIONS.namespace),
    podUid: stringAt(a, CRIO_ANNOTATIONS.podUid),
    // ImageName is the name CRI-O resolved; Image is what the pod spec asked for (may be a digest)
    image: stringAt(a, CRIO_ANNOTATIONS.imageName, CRIO_ANNOTATIONS.userImage),
    type: type === 'sandbox' || type === 'container' ? type : undefined,
  };
  return { container: withoutUndefined(container) };
}
