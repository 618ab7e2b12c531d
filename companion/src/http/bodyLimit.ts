/**
 * The request body limit, for declared and streamed (chunked) bodies alike: a declared
 * Content-Length over the limit is refused before reading; otherwise bytes are counted as they
 * arrive and the upload stops at the limit, so a chunked body is never buffered past it.
 */
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import type { RequestHandler } from 'express';
import multer from 'multer';
import { HttpError } from './errors.js';

/** 413 `body_too_large`; the connection closes so the client stops sending the rest. */
export function bodyTooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'body_too_large', `request body over ${maxBytes} bytes`, { Connection: 'close' });
}

/** Middleware refusing a declared Content-Length over `maxBytes` before anything is read. */
export function declaredLengthLimit(maxBytes: number): RequestHandler {
  return (req, _res, next) => {
    const length = Number(req.headers['content-length'] ?? 0);
    next(length > maxBytes ? bodyTooLarge(maxBytes) : undefined);
  };
}

/** A multer `streamHandler` that pipes the body to busboy and fails the upload once more than `maxBytes` arrived. */
export function countingStreamHandler(maxBytes: number): (req: IncomingMessage, busboy: Writable) => void {
  return (req, busboy) => {
    let received = 0;
    const count = (chunk: Buffer): void => {
      received += chunk.length;
      if (received <= maxBytes) return;
      req.off('data', count);
      req.unpipe(busboy);
      // busboy's 'error' reaches multer, which drops what it buffered and calls next(err).
      busboy.destroy(bodyTooLarge(maxBytes));
    };
    req.on('data', count);
    req.pipe(busboy);
  };
}

/** multer with its body counted (`streamHandler` exists since multer 2.1 but not yet in its typings). */
export function limitedMulter(maxBodyBytes: number, options: multer.Options): multer.Multer {
  const streamHandler = countingStreamHandler(maxBodyBytes);
  return multer({ ...options, streamHandler } as multer.Options);
}
