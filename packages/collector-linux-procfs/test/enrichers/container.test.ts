import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrichRecords, type SocketRecord } from '@sockscope/core';
import { testContext } from '@sockscope/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { containerEnricher } from '../../src/plugins/container.js';

// A hand-made /proc tree: pid 300 runs in a Kubernetes pod's container (the CRI-O fixture), in
// network namespace 4026532500; the agent itself ("self") is in 4026531840.
const ID = '3f4e7d0c2a9b8e1f6d5c4b3a29181716f5e4d3c2b1a09f8e7d6c5b4a39281706';

describe('containerEnricher on a hand-made proc tree', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const setup = () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-procfs-'));
    mkdirSync(join(root, '300', 'ns'), { recursive: true });
    mkdirSync(join(root, 'self', 'ns'), { recursive: true });
    copyFileSync(new URL('../fixtures/cgroup/kubernetes-crio-v2-systemd.txt', import.meta.url), join(root, '300', 'cgroup'));
    writeFileSync(join(root, '300', 'stat'), '300 (envoy) S 1 300 300 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5555 0 0\n');
    symlinkSync('net:[4026532500]', join(root, '300', 'ns', 'net'));
    symlinkSync('net:[4026531840]', join(root, 'self', 'ns', 'net'));
  };
  const rec = (extra: Partial<SocketRecord>): SocketRecord => ({
    protocol: 'tcp', family: 'ipv4', state: 'ESTABLISHED', local: { address: '10.0.0.5', port: 8080 }, remote: { address: '10.0.0.9', port: 40000 },
    inode: 1, uid: 0, recvQueue: 0, sendQueue: 0, ...extra,
  });

  it("sets the owner's container, pod and namespace, and the agent's namespace on sockets without an owner", async () => {
    setup();
    const e = await containerEnricher.create(testContext({ procfs_path: root, cache_size: 16 }));
    const owned = rec({ process: { pid: 300, comm: 'envoy', startTime: 5555 } });
    const ownerless = rec({});
    const known = rec({ netns: 7, process: { pid: 300, comm: 'envoy' } }); // no start time: read from stat
    const unix = rec({ protocol: 'unix', family: 'unix' });
    expect(await enrichRecords(e, [owned, ownerless, known, unix])).toEqual({});
    expect(owned.container).toMatchObject({ id: ID, runtime: 'cri-o', podUid: '9e1b5a5c-7f0e-4d2b-a8c3-2f6d9b0e4a11', qosClass: 'besteffort' });
    expect(owned.netns).toBe(4026532500);
    expect(ownerless.netns).toBe(4026531840);
    expect(known.netns).toBe(7); // a collector's own answer wins
    expect(known.container).toBe(owned.container); // same (pid, start time): one cache entry
    expect(unix.netns).toBeUndefined();
  });

  it('skips an owner that exited (its /proc entry is gone) without a warning', async () => {
    setup();
    const e = await containerEnricher.create(testContext({ procfs_path: root, cache_size: 16 }));
    const gone = rec({ process: { pid: 999, comm: 'gone', startTime: 1 } });
    expect(await enrichRecords(e, [gone])).toEqual({});
    expect(gone.container).toBeUndefined();
    expect(gone.netns).toBe(4026531840);
  });
});
