import type { Pipeline, RenderedSnapshot } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { healthDocument } from './health.js';

const pipelineWith = (latest: RenderedSnapshot | undefined): Pipeline => ({ collect: async () => latest as RenderedSnapshot, latest: () => latest, notices: () => ['a notice'] });

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

  it('is ok with no collection yet', () => {
    expect(healthDocument(pipelineWith(undefined), {}, { version: 'x' })).toMatchObject({ status: 'ok', last_collection: null, collectors: [] });
  });
});
