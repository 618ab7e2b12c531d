/** `GET /v1/openapi.json`: the API v1 as OpenAPI 3.1, schemas generated from the shared zod schemas. */
import { Router } from 'express';
import { z } from 'zod';
import { stylizeParamsSchema } from '../../../shared/params.js';
import {
  apiErrorSchema,
  createJobFieldsSchema,
  createJobResponseSchema,
  healthSchema,
  infoSchema,
  jobEventSchema,
  jobStatusSchema,
} from '../../../shared/protocol.js';
import { presetInputSchema, presetListSchema, presetPatchSchema, presetSchema } from '../../../shared/presets.js';
import { VERSION } from '../version.js';

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });
const err = (description: string) => ({ description, content: json('ApiError') });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const ifMatch = { name: 'If-Match', in: 'header', required: true, schema: { type: 'string' }, description: 'the preset version as its ETag, e.g. "3"' };
const presetMultipart = (schema: string) => ({
  type: 'object',
  properties: {
    style: { type: 'array', items: { type: 'string', format: 'binary' } },
    preset: { type: 'string', contentMediaType: 'application/json', contentSchema: ref(schema) },
  },
});

/** Builds the OpenAPI document (pure; cached by the router). */
export function buildOpenApi(): Record<string, unknown> {
  const fields = jsonSchema(createJobFieldsSchema, 'input');
  const fieldProps = (fields.properties ?? {}) as Record<string, unknown>;
  return {
    openapi: '3.1.0',
    info: { title: 'Atelier companion API', version: VERSION, description: 'Neural style transfer (Gatys et al., VGG-19) as a local service.' },
    servers: [{ url: 'http://127.0.0.1:7745' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        ApiError: jsonSchema(apiErrorSchema),
        Health: jsonSchema(healthSchema),
        Info: jsonSchema(infoSchema),
        StylizeParams: jsonSchema(stylizeParamsSchema, 'input'),
        CreateJobResponse: jsonSchema(createJobResponseSchema),
        JobStatus: jsonSchema(jobStatusSchema),
        JobEvent: jsonSchema(jobEventSchema),
        Preset: jsonSchema(presetSchema),
        PresetList: jsonSchema(presetListSchema),
        PresetInput: jsonSchema(presetInputSchema, 'input'),
        PresetPatch: jsonSchema(presetPatchSchema, 'input'),
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/health': {
        get: { summary: 'Liveness', security: [], responses: { 200: { description: 'ok', content: json('Health') } } },
      },
      '/v1/info': {
        get: { summary: 'Version, backend, device, weights, queue and limits', responses: { 200: { description: 'info', content: json('Info') }, 401: err('no or bad token') } },
      },
      '/v1/jobs': {
        post: {
          summary: 'Submit a stylization job (several content images = a batch sharing the style targets)',
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['content'],
                  properties: {
                    content: { type: 'array', items: { type: 'string', format: 'binary' } },
                    style: { type: 'array', items: { type: 'string', format: 'binary' } },
                    init: { type: 'string', format: 'binary' },
                    ...fieldProps,
                    params: { type: 'string', description: 'JSON object', contentMediaType: 'application/json', contentSchema: ref('StylizeParams') },
                  },
                },
              },
            },
          },
          responses: {
            202: { description: 'queued', content: json('CreateJobResponse') },
            400: err('bad params or images'),
            401: err('no or bad token'),
            404: err('unknown preset'),
            413: err('too large'),
            415: err('not multipart, or not an image'),
            422: err('layer not covered by the weights'),
            429: err('queue full (see Retry-After)'),
          },
        },
      },
      '/v1/jobs/{id}': {
        parameters: [idParam],
        get: { summary: 'Job status', responses: { 200: { description: 'status', content: json('JobStatus') }, 404: err('unknown job') } },
        delete: {
          summary: 'Cancel a queued/running job, or forget a finished one',
          responses: { 202: { description: 'cancel requested', content: json('JobStatus') }, 204: { description: 'forgotten' }, 404: err('unknown job') },
        },
      },
      '/v1/jobs/{id}/events': {
        parameters: [idParam],
        get: {
          summary: 'Server-Sent Events: queued, progress (with base64 PNG preview), succeeded, failed, canceled',
          responses: { 200: { description: 'event stream; each data line is a JobEvent', content: { 'text/event-stream': { schema: ref('JobEvent') } } }, 404: err('unknown job') },
        },
      },
      '/v1/jobs/{id}/result': {
        parameters: [idParam, { name: 'index', in: 'query', required: false, schema: { type: 'integer', minimum: 0 } }],
        get: {
          summary: 'Result PNG of content image `index`',
          responses: {
            200: { description: 'PNG', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } },
            404: err('unknown job or index'),
            409: err('job not succeeded'),
          },
        },
      },
      '/v1/presets': {
        get: { summary: "The caller's team's presets", responses: { 200: { description: 'list', content: json('PresetList') } } },
        post: {
          summary: "Create a preset (multipart: 'style' files + 'preset' JSON)",
          requestBody: { content: { 'multipart/form-data': { schema: presetMultipart('PresetInput') } } },
          responses: { 201: { description: 'created (ETag = version)', content: json('Preset') }, 400: err('invalid preset'), 409: err('name taken') },
        },
      },
      '/v1/presets/{id}': {
        parameters: [idParam],
        get: { summary: 'One preset', responses: { 200: { description: 'preset', content: json('Preset') }, 404: err('unknown preset') } },
        put: {
          summary: 'Replace (If-Match: "<version>" required)',
          parameters: [ifMatch],
          requestBody: { content: { 'multipart/form-data': { schema: presetMultipart('PresetInput') }, ...json('PresetInput') } },
          responses: { 200: { description: 'replaced', content: json('Preset') }, 412: err('stale version'), 428: err('If-Match missing') },
        },
        patch: {
          summary: 'Change some fields (If-Match required)',
          parameters: [ifMatch],
          requestBody: { content: { 'multipart/form-data': { schema: presetMultipart('PresetPatch') }, ...json('PresetPatch'), 'application/merge-patch+json': { schema: ref('PresetPatch') } } },
          responses: { 200: { description: 'patched', content: json('Preset') }, 412: err('stale version'), 428: err('If-Match missing') },
        },
        delete: { summary: 'Delete (If-Match required)', parameters: [ifMatch], responses: { 204: { description: 'deleted' }, 412: err('stale version'), 428: err('If-Match missing') } },
      },
      '/v1/presets/{id}/styles/{n}': {
        parameters: [idParam, { name: 'n', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } }],
        get: { summary: "A preset's style image", responses: { 200: { description: 'image bytes', content: { 'image/*': { schema: { type: 'string', format: 'binary' } } } }, 404: err('unknown preset or index') } },
      },
      '/v1/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
    },
  };
}

/** Router serving the document. */
export function openapiRouter(): Router {
  const r = Router();
  let doc: Record<string, unknown> | null = null;
  r.get('/', (_req, res) => {
    doc ??= buildOpenApi();
    res.json(doc);
  });
  return r;
}
