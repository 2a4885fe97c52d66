import { objectAt, readJsonObject, refused, stringAt, withoutUndefined } from './read-json.js';
import type { RuntimeContainer, RuntimeParseResult } from './types.js';

// Docker Engine persists each container as /var/lib/docker/containers/<id>/config.v2.json, the
// JSON of moby's container.Container: ID, Name ("/web", the leading slash is Docker's), Config
// (container.Config: Image as the user gave it, Labels). Compose and the old dockershim (Kubernetes
// before 1.24, or cri-dockerd today) record what they know as labels.

/** Labels read from a Docker container's Config.Labels. */
export const DOCKER_LABELS = {
  composeProject: 'com.docker.compose.project',
  composeService: 'com.docker.compose.service',
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
  // dockershim / cri-dockerd: "podsandbox" for the pause container, "container" otherwise
  dockerType: 'io.kubernetes.docker.type',
} as const;

/**
 * Parses a Docker `config.v2.json` into a RuntimeContainer: the name without Docker's leading
 * slash (the Kubernetes container name instead when dockershim's labels are there), the image as
 * given, Compose project/service and dockershim's pod labels. `id` is the directory's name, used
 * when the file has no ID. Too big, binary, truncated or non-object files give `undefined` and a
 * reason.
 */
export function parseDockerConfigV2(input: Buffer | string, id: string): RuntimeParseResult {
  const what = `docker config.v2.json of ${id}`;
  const read = readJsonObject(input, what);
  if (!read.object) return refused(read.reason);
  const config = objectAt(read.object, 'Config');
  // every config.v2.json has Config; without it this is not Docker's container file
  if (!config) return refused(`${what} has no Config object: not a Docker container file`);
  const labels = objectAt(config, 'Labels');
  const dockerName = stringAt(read.object, 'Name')?.replace(/^\//, '');
  const dockerType = stringAt(labels, DOCKER_LABELS.dockerType);
  const container: RuntimeContainer = {
    id: stringAt(read.object, 'ID') ?? id,
    runtime: 'docker',
    // dockershim names containers k8s_<container>_<pod>_<ns>_<uid>_<n>; the label is the real
    // name. Its sandbox is labelled "POD": it stands for the pod, so it gets no container name.
    name: dockerType === 'podsandbox' ? undefined : (stringAt(labels, DOCKER_LABELS.containerName) ?? (dockerName === '' ? undefined : dockerName)),
    pod: stringAt(labels, DOCKER_LABELS.podName),
    namespace: stringAt(labels, DOCKER_LABELS.podNamespace),
    podUid: stringAt(labels, DOCKER_LABELS.podUid),
    image: stringAt(config, 'Image'),
    type: dockerType === 'podsandbox' ? 'sandbox' : dockerType === 'container' ? 'container' : undefined,
    composeProject: stringAt(labels, DOCKER_LABELS.composeProject),
    composeService: stringAt(labels, DOCKER_LABELS.composeService),
  };
  return { container: withoutUndefined(container) };
}
