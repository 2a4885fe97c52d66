import type { Socket } from 'node:net';
import type { Server } from 'node:tls';

/** The body Go's HTTPS server (and so every exporter-toolkit exporter) answers plain HTTP with. */
export const PLAIN_HTTP_BODY = 'Client sent an HTTP request to an HTTPS server.\n';

/** How long a connection may stay silent before its first byte when the server sets no headersTimeout. */
const FIRST_BYTE_TIMEOUT_MS = 60_000;
/** How long an answered plain-HTTP connection is kept to drain the request before it is closed. */
const LINGER_MS = 1_000;

const RESPONSE =
  'HTTP/1.1 400 Bad Request\r\n' +
  'Content-Type: text/plain; charset=utf-8\r\n' +
  `Content-Length: ${Buffer.byteLength(PLAIN_HTTP_BODY)}\r\n` +
  'Connection: close\r\n' +
  '\r\n' +
  PLAIN_HTTP_BODY;

/**
 * Makes a TLS server answer a plain HTTP request with a 400 saying so (as Go's does) instead of
 * a silent TLS failure. Each connection's first byte is read before the TLS layer sees it: a
 * TLS handshake starts with a record type byte (0x16), an HTTP request with a letter of its
 * method. Anything but a letter goes to TLS untouched (with the byte put back), so every TLS
 * client and every TLS error behaves as before. Call it right after creating the server.
 */
export function answerPlainHttp(server: Server): void {
  // the TLS server's own connection handler(s), replaced by one that looks at the first byte first
  const handlers = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    sniff(socket, server, (first) => {
      if (looksLikeHttp(first)) return refuse(socket);
      for (const h of handlers) h.call(server, socket);
    });
  });
}

function looksLikeHttp(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
}

function sniff(socket: Socket, server: Server, decide: (first: number) => void): void {
  // errors surface on the TLS socket once it takes over; before that, a reset must not throw
  socket.on('error', () => socket.destroy());
  const limit = (server as { headersTimeout?: number }).headersTimeout;
  const timer = setTimeout(() => socket.destroy(), limit && limit > 0 ? limit : FIRST_BYTE_TIMEOUT_MS);
  const done = () => {
    clearTimeout(timer);
    socket.off('readable', onReadable);
    socket.off('close', done);
  };
  const onReadable = () => {
    const chunk = socket.read() as Buffer | null;
    if (chunk === null || chunk.length === 0) return;
    done();
    socket.unshift(chunk);
    decide(chunk[0] as number);
  };
  socket.on('readable', onReadable);
  socket.once('close', done);
}

function refuse(socket: Socket): void {
  socket.end(RESPONSE);
  // read what the client still sends, so closing does not reset the connection before it reads the answer
  socket.on('data', () => undefined);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
