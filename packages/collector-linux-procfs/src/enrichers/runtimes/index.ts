// Pure parsers of container runtimes' on-disk state and the pod-name workload inference
// (issue 16). Nothing here reads files: callers pass the bytes, so these stay testable on
// fixtures and the enricher decides where, when and how much to read.
export type { RuntimeContainer, RuntimeName, RuntimeParseResult } from './types.js';
export { MAX_RUNTIME_FILE_BYTES } from './read-json.js';
export { CONTAINERD_ANNOTATIONS, parseContainerdBundle } from './containerd.js';
export { CRIO_ANNOTATIONS, parseCrioPodmanConfig } from './crio-podman.js';
export { DOCKER_LABELS, parseDockerConfigV2 } from './docker.js';
export { inferWorkload, type InferredWorkload, type WorkloadKind } from './workload.js';
export { findStorageContainer, findStorageImageName, type StorageContainer, type StorageLookup } from './podman-storage.js';
