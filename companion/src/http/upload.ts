/**
 * Multipart upload of a job: files `content` (1..n), `style` (0..n), `init` (0..1), text fields
 * `params` (JSON), `presetId`, `resultSize` — held in memory within the configured limits.
 * Non-multipart bodies get 415; a body over the limit gets 413 (see bodyLimit.ts); the `beforeBody`
 * middleware (admission.ts) runs after those header checks and before any byte of the body is read.
 */
import type { RequestHandler } from 'express';
import multer from 'multer';
import { PARAM_LIMITS } from '../../../shared/params.js';
import { JOB_FILE_FIELDS } from '../../../shared/protocol.js';
import { declaredLengthLimit, limitedMulter } from './bodyLimit.js';
import { HttpError } from './errors.js';
import type { ServerLimits } from './limits.js';

/** Files of a parsed job upload, by field. */
export type UploadedFiles = Partial<Record<keyof typeof JOB_FILE_FIELDS, Express.Multer.File[]>>;

/** Middleware chain parsing a job upload into `req.files` / `req.body`, `beforeBody` run before it reads the body. */
export function jobUpload(limits: ServerLimits, ...beforeBody: RequestHandler[]): RequestHandler[] {
  const parser = limitedMulter(limits.maxBodyBytes, {
    storage: multer.memoryStorage(),
    limits: {
      fileSize: limits.maxFileBytes,
      files: limits.maxFiles,
      fields: 8,
      fieldSize: 64 * 1024,
      fieldNameSize: 64,
      parts: limits.maxFiles + 8,
    },
  }).fields([
    { name: JOB_FILE_FIELDS.content, maxCount: limits.maxFiles },
    { name: JOB_FILE_FIELDS.style, maxCount: PARAM_LIMITS.maxStyles },
    { name: JOB_FILE_FIELDS.init, maxCount: 1 },
  ]);
  const multipartOnly: RequestHandler = (req, _res, next) => {
    next(req.is('multipart/form-data') ? undefined : new HttpError(415, 'unsupported_media_type', 'POST /v1/jobs takes multipart/form-data'));
  };
  return [multipartOnly, declaredLengthLimit(limits.maxBodyBytes), ...beforeBody, parser];
}
