// What one container runtime's on-disk state says about one container, in one shape for all
// runtimes, so the enricher that reads these files (runtime-names.ts) need not care which
// runtime wrote them. Parsers here are pure: bytes in, a RuntimeContainer or a reason out.

/** The container runtimes whose on-disk state this folder can read. */
export type RuntimeName = 'containerd' | 'cri-o' | 'podman' | 'docker';

/**
 * Names of one container as its runtime's state on disk gives them. Every field but `id` and
 * `runtime` is optional: a plain `ctr run` container has no pod, a Podman container no image in
 * its spec. `pod`/`namespace`/`podUid` are Kubernetes' (or Podman's kube play) names.
 */
export interface RuntimeContainer {
  /** Full container id (64 hex for every runtime here). */
  id: string;
  runtime: RuntimeName;
  /** Container name: the Kubernetes container name, nerdctl/Docker/Podman name. */
  name?: string;
  /** Kubernetes pod name. */
  pod?: string;
  /** Kubernetes namespace of the pod. */
  namespace?: string;
  /** Kubernetes pod UID. */
  podUid?: string;
  /** Image reference as the user gave it (e.g. `nginx:1.27`), not the digest. */
  image?: string;
  /** `sandbox` for a pod's pause/infra container, `container` for an app container. */
  type?: 'container' | 'sandbox';
  /** Docker Compose project (label `com.docker.compose.project`). */
  composeProject?: string;
  /** Docker Compose service (label `com.docker.compose.service`). */
  composeService?: string;
}

/** A parser's answer: the container, or `undefined` and why (for a once-only notice). */
export type RuntimeParseResult = { container: RuntimeContainer; reason?: undefined } | { container: undefined; reason: string };
