/**
 * The companion's HTTP(S) server around the Express app. Node answers some malformed requests
 * itself, before Express sees them (headers or URL over 16 KB, unparsable requests): those answers
 * get the API's JSON error shape too. They carry no CORS headers, because the request's Origin is
 * among the headers Node could not read. A missing Host is left to the app's host check.
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';

/** Certificate and key (PEM) to serve HTTPS. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

const CLIENT_ERRORS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'headers_too_large', 'the request line or headers exceed 16 KB'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'request_timeout', 'the request took too long to arrive'],
};

/** Answers a request Node's parser refused, in the `{ error: { code, message } }` shape, and closes the connection. */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request', 'bad_request', 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** An HTTP server (HTTPS with `tls`) for the app. */
export function createServer(app: Express, tls?: TlsFiles): http.Server {
  const options = { requireHostHeader: false };
  const server = tls ? https.createServer({ ...options, cert: tls.cert, key: tls.key }, app) : http.createServer(options, app);
  server.on('clientError', answerClientError);
  return server;
}
