import type { Pipeline, RenderedSnapshot } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { healthDocument } from './health.js';

const pipelineWith = (latest: RenderedSnapshot | undefined): Pipeline => ({
  collect: async () => latest as RenderedSnapshot,
  collectorNames: () => [],
  latest: () => latest,
  notices: () => ['a notice'],
});

const snapshotWith = (status: RenderedSnapshot['snapshot']['status']): RenderedSnapshot => ({
  snapshot: { timestamp: 0, durationSeconds: 0, socketCount: 0, host: {}, families: [], status },
  socketCount: 0,
  families: [],
});

describe('healthDocument', () => {
  it('names each failed collector with its error and, when it had one, its code', () => {
    const doc = healthDocument(
      pipelineWith({
        snapshot: {
          timestamp: Date.UTC(2024, 0, 2, 3, 4, 5),
          durationSeconds: 0.25,
          socketCount: 12,
          host: {},
          families: [],
          status: [
            { name: 'netlink', success: false, durationSeconds: 0.1, error: 'netlink: EPERM', errorCode: 'ERR_COLLECTOR_UNAVAILABLE' },
            { name: 'broken', success: false, durationSeconds: 0, error: 'told to fail' },
            { name: 'procfs', success: true, durationSeconds: 0.2, warnings: [{ code: 'ERR_PROCFS_LINE', message: 'bad line' }] },
          ],
        },
        socketCount: 12,
        families: [],
      }),
      { otlp: { lastError: null } },
      { version: '1.2.3' },
    );
    expect(doc).toEqual({
      status: 'degraded',
      reason: 'collector netlink failed: netlink: EPERM; collector broken failed: told to fail',
      version: '1.2.3',
      last_collection: { time: '2024-01-02T03:04:05.000Z', duration_seconds: 0.25, sockets: 12 },
      failed_collectors: ['netlink', 'broken'],
      collectors: [
        { name: 'netlink', success: false, duration_seconds: 0.1, error: 'netlink: EPERM', error_code: 'ERR_COLLECTOR_UNAVAILABLE' },
        { name: 'broken', success: false, duration_seconds: 0, error: 'told to fail' },
        { name: 'procfs', success: true, duration_seconds: 0.2, warnings: [{ code: 'ERR_PROCFS_LINE', message: 'bad line' }] },
      ],
      notices: ['a notice'],
      components: { otlp: { lastError: null } },
    });
  });

  // /health said "ok" before any collection had run, so a probe could not tell a fresh agent from a healthy one
  it('says starting, not ok, before the first collection finished', () => {
    expect(healthDocument(pipelineWith(undefined), {}, { version: 'x' })).toMatchObject({
      status: 'starting',
      reason: 'no collection has finished yet',
      last_collection: null,
      collectors: [],
      failed_collectors: [],
    });
  });

  it('is ok, with no reason, when every collector and enricher succeeded', () => {
    const doc = healthDocument(pipelineWith(snapshotWith([{ name: 'linux-procfs', success: true, durationSeconds: 0.01 }])), {}, { version: 'x' });
    expect(doc).toMatchObject({ status: 'ok', failed_collectors: [] });
    expect(doc).not.toHaveProperty('reason');
  });

  it('names a failed enricher as an enricher in the reason', () => {
    const doc = healthDocument(
      pipelineWith(snapshotWith([
        { name: 'linux-procfs', success: false, durationSeconds: 5, error: 'collector linux-procfs timed out after 5000 ms', errorCode: 'ERR_COLLECTOR_TIMEOUT' },
        { name: 'enricher:process', success: false, durationSeconds: 0, error: 'EACCES' },
      ])),
      {},
      { version: 'x' },
    );
    expect(doc).toMatchObject({
      status: 'degraded',
      reason: 'collector linux-procfs failed: collector linux-procfs timed out after 5000 ms; enricher process failed: EACCES',
      failed_collectors: ['linux-procfs', 'enricher:process'],
    });
  });
});
