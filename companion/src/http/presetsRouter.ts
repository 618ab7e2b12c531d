/**
 * `/v1/presets`: the caller's team's style presets. List, create (multipart: `style` files +
 * `preset` JSON), read, replace (PUT), patch (PATCH), delete, and style image bytes. PUT/PATCH/DELETE
 * need `If-Match: "<version>"` (missing: 428, stale: 412); another team's preset is a plain 404.
 */
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import { PARAM_LIMITS } from '../../../shared/params.js';
import { presetEtag, type Preset, type PresetList } from '../../../shared/presets.js';
import { PresetError } from '../presets/errors.js';
import type { PresetsStore } from '../presets/contract.js';
import { teamOf } from './auth.js';
import { declaredLengthLimit, limitedMulter } from './bodyLimit.js';
import { HttpError } from './errors.js';
import { DEFAULT_LIMITS, type ServerLimits } from './limits.js';

/** What the presets router needs. */
export interface PresetsRouterDeps {
  store: PresetsStore;
  /** Upload limits (maxFileBytes, maxBodyBytes); the server's defaults otherwise. */
  limits?: Partial<Pick<ServerLimits, 'maxFileBytes' | 'maxBodyBytes'>>;
}

/** Multipart field names of preset uploads. */
export const PRESET_FIELDS = { style: 'style', preset: 'preset' } as const;

/** Wraps an async handler so rejections reach the app's one error mapper. */
function handle(fn: (req: Request, res: Response) => Promise<void> | void): RequestHandler {
  return async (req, res, next) => {
    try {
      await fn(req, res);
    } catch (err) {
      next(err);
    }
  };
}

/**
 * The version in `If-Match`: null when absent (→ 428); -1 when it names no version (→ 412).
 * Accepts `"3"`, `W/"3"` and `3`; `*` is refused (it would allow blind overwrites).
 */
export function parseIfMatch(header: string | undefined): number | null {
  if (header === undefined || header.trim() === '') return null;
  const value = header.trim();
  if (value === '*') {
    throw new PresetError('precondition_required', "If-Match: * is not accepted; send the preset's version (its ETag)");
  }
  const first = value.split(',')[0].trim();
  const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(first);
  return m ? Number(m[1]) : -1;
}

function sendPreset(res: Response, status: number, preset: Preset): void {
  res.status(status).setHeader('ETag', presetEtag(preset.version));
  res.json(preset);
}

/** Parses the `preset` JSON of a multipart body, or takes the JSON body. */
function bodyOf(req: Request): { body: unknown; styles: Buffer[] } {
  const files = (req.files as Record<string, Express.Multer.File[]> | undefined)?.[PRESET_FIELDS.style] ?? [];
  const styles = files.map((f) => f.buffer);
  if (!req.is('multipart/form-data')) return { body: req.body ?? {}, styles };
  const text = (req.body as Record<string, unknown> | undefined)?.[PRESET_FIELDS.preset];
  if (typeof text !== 'string') {
    throw new HttpError(400, 'invalid_preset', `multipart field '${PRESET_FIELDS.preset}' (JSON) is required`);
  }
  try {
    return { body: JSON.parse(text), styles };
  } catch {
    throw new HttpError(400, 'invalid_preset', `multipart field '${PRESET_FIELDS.preset}' is not valid JSON`);
  }
}

/** The `/v1/presets` router; mount it behind the auth middleware (it reads `req.auth.teamId`). */
export function createPresetsRouter(deps: PresetsRouterDeps): Router {
  const { store } = deps;
  const limits = { maxFileBytes: DEFAULT_LIMITS.maxFileBytes, maxBodyBytes: DEFAULT_LIMITS.maxBodyBytes, ...deps.limits };
  const multipart = limitedMulter(limits.maxBodyBytes, {
    storage: multer.memoryStorage(),
    limits: {
      fileSize: limits.maxFileBytes,
      files: PARAM_LIMITS.maxStyles,
      fields: 4,
      fieldSize: 256 * 1024,
      fieldNameSize: 64,
      parts: PARAM_LIMITS.maxStyles + 4,
    },
  }).fields([{ name: PRESET_FIELDS.style, maxCount: PARAM_LIMITS.maxStyles }]);
  /** multipart → multer; JSON (incl. merge-patch) → express.json; anything else with a body → 415. */
  const anyBody = (allowJson: boolean): RequestHandler[] => [
    declaredLengthLimit(limits.maxBodyBytes),
    (req, res, next) => {
      if (req.is('multipart/form-data')) return multipart(req, res, next);
      if (allowJson && req.is(['application/json', 'application/merge-patch+json'])) return next();
      const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      if (!hasBody && allowJson) return next();
      next(new HttpError(415, 'unsupported_media_type', allowJson ? 'send JSON or multipart/form-data' : 'send multipart/form-data'));
    },
    express.json({ limit: '1mb', type: ['application/json', 'application/merge-patch+json'] }),
  ];

  const router = Router();

  router.get(
    '/',
    handle(async (req, res) => {
      const body: PresetList = { presets: await store.list(teamOf(req)) };
      res.json(body);
    }),
  );

  router.post(
    '/',
    ...anyBody(false),
    handle(async (req, res) => {
      const { body, styles } = bodyOf(req);
      const preset = await store.create(teamOf(req), body, styles);
      res.setHeader('Location', `${req.baseUrl}/${encodeURIComponent(preset.id)}`);
      sendPreset(res, 201, preset);
    }),
  );

  router.get(
    '/:id',
    handle(async (req, res) => {
      const preset = await store.get(teamOf(req), String(req.params.id));
      if (!preset) throw new PresetError('not_found', `no preset '${String(req.params.id)}'`);
      sendPreset(res, 200, preset);
    }),
  );

  router.put(
    '/:id',
    ...anyBody(true),
    handle(async (req, res) => {
      const version = parseIfMatch(req.get('If-Match'));
      const { body, styles } = bodyOf(req);
      const preset = await store.replace(teamOf(req), String(req.params.id), version, body, styles.length ? styles : undefined);
      sendPreset(res, 200, preset);
    }),
  );

  router.patch(
    '/:id',
    ...anyBody(true),
    handle(async (req, res) => {
      const version = parseIfMatch(req.get('If-Match'));
      const { body, styles } = bodyOf(req);
      const preset = await store.patch(teamOf(req), String(req.params.id), version, body, styles.length ? styles : undefined);
      sendPreset(res, 200, preset);
    }),
  );

  router.delete(
    '/:id',
    handle(async (req, res) => {
      await store.delete(teamOf(req), String(req.params.id), parseIfMatch(req.get('If-Match')));
      res.status(204).end();
    }),
  );

  router.get(
    '/:id/styles/:n',
    handle(async (req, res) => {
      const n = /^\d{1,3}$/.test(String(req.params.n)) ? Number(req.params.n) : -1;
      const img = await store.styleImage(teamOf(req), String(req.params.id), n);
      if (!img) throw new PresetError('not_found', `no style image ${String(req.params.n)} in preset '${String(req.params.id)}'`);
      res.setHeader('Content-Type', img.contentType);
      res.setHeader('ETag', `"${img.sha256}"`);
      res.setHeader('Cache-Control', 'private, no-cache');
      res.send(img.data);
    }),
  );

  return router;
}
