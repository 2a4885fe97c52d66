import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';

/** The longest a `Retry-After` holds the queue (1 h): a larger value, or a date further ahead, waits this long. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** What one export learnt of the collector's `Retry-After`, filled in before the export's callback runs. */
export interface RetryAfterNote {
  /** The wait the collector asked for in its last answer (ms; 0 or less: none), when it gave up on a retryable status. */
  ms?: number;
}

/** The OTel transport's answer, as far as this module reads it (`ExportResponse` of `@opentelemetry/otlp-exporter-base`). */
interface TransportResponse {
  status: string;
  retryInMillis?: number;
}

interface Transport {
  send(data: Uint8Array, timeoutMillis: number): Promise<TransportResponse>;
  shutdown(): void;
}

const isTransport = (t: unknown): t is Transport =>
  typeof t === 'object' && t !== null && typeof (t as Transport).send === 'function' && typeof (t as Transport).shutdown === 'function';

/**
 * Reads the `Retry-After` of the collector's answers, which OTel's exporter parses (seconds or an
 * HTTP date, on 429/502/503/504) and honours only inside the export deadline: past the deadline it
 * ends the export as a plain failure and the wait is lost. This wraps the exporter's retrying
 * transport (`_delegate._transport` of OTel's `OTLPExporterBase`, pinned at 0.223.0) so that the
 * final answer's wait reaches the export queue, which then holds its batch that long.
 *
 * `hooked` is false when the exporter does not have that shape (another OTel version): exports
 * still work, `Retry-After` past the deadline is then not honoured, and the sink says so once.
 */
export class RetryAfterReader {
  /** True when the exporter's transport was found and wrapped. */
  readonly hooked: boolean;
  private current: RetryAfterNote | undefined;

  constructor(exporter: PushMetricExporter) {
    const delegate = (exporter as unknown as { _delegate?: { _transport?: unknown } })._delegate;
    const inner = delegate?._transport;
    if (!delegate || !isTransport(inner)) {
      this.hooked = false;
      return;
    }
    const wrapped: Transport = {
      send: (data, timeoutMillis) => {
        // OTel's delegate calls send synchronously inside export(): `current` is that export's note.
        const note = this.current;
        return inner.send(data, timeoutMillis).then((response) => {
          if (note && response.status === 'retryable') note.ms = response.retryInMillis;
          return response;
        });
      },
      shutdown: () => inner.shutdown(),
    };
    delegate._transport = wrapped;
    this.hooked = true;
  }

  /** Runs `send`, which must call the exporter's `export` synchronously, and returns the note its answer fills. */
  watch(send: () => void): RetryAfterNote {
    const note: RetryAfterNote = {};
    this.current = note;
    try {
      send();
    } finally {
      this.current = undefined;
    }
    return note;
  }
}
