// Kubernetes names a controller's pods after the controller, so the owning workload can be
// guessed from the pod name alone, without the API server. This is an INFERENCE, not a lookup:
// a bare pod named like `web-7d4b9c8f6d-x2x9z` would be taken for a Deployment's. The shapes:
//   Deployment  <deployment>-<pod-template-hash>-<5>   (the ReplicaSet adds the hash, then the pod suffix)
//   CronJob     <cronjob>-<scheduled minute>-<5>        (the Job is named after the minute since the epoch)
//   StatefulSet <statefulset>-<ordinal>
//   DaemonSet   <daemonset>-<5>                         (a Job's pods look the same; DaemonSet is the common case)
// Generated parts come from Kubernetes' rand.String / SafeEncodeString alphabet, which has no
// vowels and no 0, 1, 3 (so no words by chance): that keeps `my-cache` or `api-server` from
// being read as generated.

const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
// pod-template-hash: the decimal of a 32-bit hash, safe-encoded: 1..10 characters; 6+ in practice
// (a shorter one needs a hash below 100000, about 1 in 40000) and shorter ones match words too often
const DEPLOYMENT = new RegExp(`^(.+)-(${SAFE}{6,10})-(${SAFE}{5})$`);
// minutes since the epoch have had 8 digits since 1973 and will until 2160
const CRONJOB = /^(.+)-(\d{8})-([bcdfghjklmnpqrstvwxz2456789]{5})$/;
const STATEFULSET = /^(.+)-(0|[1-9]\d{0,8})$/;
const DAEMONSET = new RegExp(`^(.+)-(${SAFE}{5})$`);

/** Kinds of workload `inferWorkload` can name. */
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'CronJob';

/** An owning workload as guessed from a pod name. */
export interface InferredWorkload {
  kind: WorkloadKind;
  name: string;
}

/**
 * Guesses the workload that owns a pod from the pod's name alone (no API server): a ReplicaSet
 * hash and suffix → Deployment, an 8-digit scheduled minute and suffix → CronJob, an ordinal →
 * StatefulSet, a 5-character suffix → DaemonSet; anything else → undefined. An inference from
 * naming conventions, to be documented as such: a pod named by hand like a generated one is
 * taken for one.
 */
export function inferWorkload(podName: string | undefined): InferredWorkload | undefined {
  if (podName === undefined || podName === '' || podName.length > 253) return undefined;
  // CronJob first: its 8-digit minute is also a valid safe-encoded hash (digits 2,4-9 only)
  const cron = CRONJOB.exec(podName);
  if (cron) return { kind: 'CronJob', name: cron[1]! };
  const deployment = DEPLOYMENT.exec(podName);
  if (deployment) return { kind: 'Deployment', name: deployment[1]! };
  const statefulSet = STATEFULSET.exec(podName);
  if (statefulSet) return { kind: 'StatefulSet', name: statefulSet[1]! };
  const daemonSet = DAEMONSET.exec(podName);
  if (daemonSet) return { kind: 'DaemonSet', name: daemonSet[1]! };
  return undefined;
}
