/**
 * The one place errors become HTTP answers `{ error: { code, message } }`: HttpError, zod, image,
 * engine, upload (multer) and body-parser errors map to stable 4xx codes; anything else is a 500
 * whose details go to the log only.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import multer from 'multer';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { describeZodError } from '../../../shared/describeZodError.js';
import { EngineError } from '../engine/contract.js';
import { ImageError } from '../io/images.js';
import { JobTooLargeError } from '../jobs/pixelBudget.js';
import { QueueClosedError, QueueFullError } from '../jobs/queue.js';
import { PresetError, type PresetErrorCode } from '../presets/errors.js';

/** An error with its HTTP status and stable code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Writes the JSON error body. */
export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

const IMAGE_STATUS: Record<string, number> = {
  empty_image: 400,
  corrupt_image: 400,
  not_found: 400,
  unsupported_image: 415,
  image_too_large: 413,
};

const MULTER_MAP: Record<string, [number, string]> = {
  LIMIT_FILE_SIZE: [413, 'file_too_large'],
  LIMIT_FILE_COUNT: [400, 'too_many_files'],
  LIMIT_PART_COUNT: [400, 'too_many_parts'],
  LIMIT_FIELD_COUNT: [400, 'too_many_fields'],
  LIMIT_FIELD_VALUE: [413, 'field_too_large'],
  LIMIT_FIELD_KEY: [400, 'bad_multipart'],
  LIMIT_UNEXPECTED_FILE: [400, 'unexpected_file'],
};

const PRESET_STATUS: Record<PresetErrorCode, number> = {
  not_found: 404,
  name_taken: 409,
  stale_version: 412,
  precondition_required: 428,
  invalid_preset: 400,
  invalid_image: 400,
  team_exists: 409,
  team_not_found: 404,
  invalid_team: 400,
  invalid_bundle: 400,
  store_corrupt: 500,
};

/** Engine codes caused by a request the weights cannot serve (well-formed but unprocessable). */
const ENGINE_422 = new Set(['missing_layer', 'unsupported_layer']);

/** Status, code and message for any error. */
export function describeHttpError(err: unknown): { status: number; code: string; message: string; headers?: Record<string, string> } {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message, headers: err.headers };
  if (err instanceof ZodError) return { status: 400, code: 'bad_params', message: describeZodError(err) };
  if (err instanceof PresetError) {
    const status = PRESET_STATUS[err.code];
    return status >= 500 ? { status, code: err.code, message: 'internal error; see the companion log' } : { status, code: err.code, message: err.message };
  }
  if (err instanceof ImageError) return { status: IMAGE_STATUS[err.code] ?? 400, code: err.code, message: err.message };
  if (err instanceof EngineError) return { status: ENGINE_422.has(err.code) ? 422 : 400, code: err.code, message: err.message };
  if (err instanceof QueueFullError) {
    return { status: 429, code: err.code, message: err.message, headers: { 'Retry-After': String(err.retryAfter) } };
  }
  if (err instanceof JobTooLargeError) return { status: 413, code: err.code, message: err.message };
  if (err instanceof QueueClosedError) return { status: 503, code: err.code, message: err.message };
  if (err instanceof multer.MulterError) {
    const [status, code] = MULTER_MAP[err.code] ?? [400, 'bad_multipart'];
    return { status, code, message: err.field ? `${err.message} (field '${err.field}')` : err.message };
  }
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  if (e?.type === 'entity.too.large') return { status: 413, code: 'body_too_large', message: 'request body too large' };
  if (e?.type === 'entity.parse.failed') return { status: 400, code: 'bad_json', message: 'request body is not valid JSON' };
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, code: 'bad_request', message: e.message ?? 'bad request' };
  }
  if (err instanceof Error && /Unexpected end of form|Multipart: Boundary not found|Malformed part header/i.test(err.message)) {
    return { status: 400, code: 'bad_multipart', message: err.message };
  }
  return { status: 500, code: 'internal_error', message: 'internal error; see the companion log' };
}

/** Express error middleware: maps, logs 5xx with details, answers JSON. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const d = describeHttpError(err);
    if (d.status >= 500) logger.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    else logger.debug({ code: d.code, method: req.method, url: req.originalUrl }, 'request refused');
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [k, v] of Object.entries(d.headers ?? {})) res.setHeader(k, v);
    sendError(res, d.status, d.code, d.message);
  };
}

/** Final handler for unknown routes: 404 `not_found`. */
export const notFound: RequestHandler = (req, res) => {
  sendError(res, 404, 'not_found', `no route ${req.method} ${req.path}`);
};
