import { readJsonArray, readJsonObject } from './read-json.js';

// Podman's userdata/config.json has no container name or image (see crio-podman.ts). Podman
// creates every container through containers/storage, which records it in
// <storage>/overlay-containers/containers.json (volatile-containers.json for transient ones):
// a JSON array of storage.Container, `{"id", "names": [...], "image": "<image id>", "layer",
// "metadata": "<string>", ...}`. Podman's `metadata` string is itself JSON, libpod's
// RuntimeContainerMetadata: `{"image-name", "image-id", "name", "created-at", "mountlabel"}`,
// where image-name is the reference the user gave. When it is missing, the image's names come
// from <storage>/overlay-images/images.json, a JSON array of storage.Image
// `{"id", "digest", "names": ["docker.io/library/postgres:16"], "layer", ...}`.

/** What containers/storage's containers.json says of one container. */
export interface StorageContainer {
  /** The container's first name (`podman run --name`). */
  name?: string;
  /** The image reference as given (libpod's metadata `image-name`). */
  imageName?: string;
  /** The image id, to look up in images.json when `imageName` is missing. */
  imageId?: string;
}

/** A lookup's answer: the entry, `undefined` when the file does not list the id, or why the file could not be read. */
export type StorageLookup<T> = { found: T | undefined; reason?: undefined } | { found: undefined; reason: string };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Finds container `id` in a containers/storage `containers.json` (or `volatile-containers.json`):
 * its first name, and the image name and id from its libpod metadata. Refuses (with a reason)
 * what is too big, binary, truncated or not an array; an entry that is not an object is skipped.
 */
export function findStorageContainer(input: Buffer | string, id: string, what = 'containers/storage containers.json'): StorageLookup<StorageContainer> {
  const read = readJsonArray(input, what);
  if (!read.array) return { found: undefined, reason: read.reason };
  for (const entry of read.array) {
    if (typeof entry !== 'object' || entry === null || (entry as Record<string, unknown>).id !== id) continue;
    const e = entry as Record<string, unknown>;
    const names = Array.isArray(e.names) ? e.names : [];
    const found: StorageContainer = {};
    const name = str(names[0]);
    if (name) found.name = name;
    const imageId = str(e.image);
    if (imageId) found.imageId = imageId;
    const metadata = str(e.metadata);
    if (metadata) {
      // a metadata string that is not libpod's JSON (another containers/storage user) is ignored
      const meta = readJsonObject(metadata, `metadata of ${id}`).object;
      const imageName = str(meta?.['image-name']);
      if (imageName) found.imageName = imageName;
      if (!found.name) {
        const metaName = str(meta?.name);
        if (metaName) found.name = metaName;
      }
      if (!found.imageId) {
        const metaImageId = str(meta?.['image-id']);
        if (metaImageId) found.imageId = metaImageId;
      }
    }
    return { found };
  }
  return { found: undefined };
}

/**
 * The first name of image `imageId` in a containers/storage `images.json` (`undefined` when the
 * image is not listed or has no name: a dangling image), or why the file could not be read.
 */
export function findStorageImageName(input: Buffer | string, imageId: string, what = 'containers/storage images.json'): StorageLookup<string> {
  const read = readJsonArray(input, what);
  if (!read.array) return { found: undefined, reason: read.reason };
  for (const entry of read.array) {
    if (typeof entry !== 'object' || entry === null || (entry as Record<string, unknown>).id !== imageId) continue;
    const names = (entry as Record<string, unknown>).names;
    return { found: Array.isArray(names) ? str(names[0]) : undefined };
  }
  return { found: undefined };
}
