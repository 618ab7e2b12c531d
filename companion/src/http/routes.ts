/**
 * Every route of API v1, as data: method, path (OpenAPI form, `{id}`), what it takes and answers.
 * openapi.ts turns this registry into the served document, and test/http/openapi.test.ts checks it
 * against the routes the Express app really serves, so a route cannot drift from its documentation.
 * Schema names refer to components built from the shared zod schemas (openapi.ts `SCHEMAS`).
 */
import { DECLARED_PIXELS_HEADER } from '../../../shared/protocol.js';

/** A body or response content: a named component schema, or a raw OpenAPI schema object. */
export type Content = Record<string, { schema: { $ref: string } | Record<string, unknown> }>;

/** One documented response. */
export interface ResponseDoc {
  description: string;
  content?: Content;
}

/** One route. */
export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Under API_PREFIX, OpenAPI form: `/jobs/{id}`. Path parameters are strings unless `pathParams` says otherwise. */
  path: string;
  summary: string;
  /** False for the one endpoint without a token. */
  auth?: false;
  pathParams?: Record<string, Record<string, unknown>>;
  parameters?: Array<Record<string, unknown>>;
  requestBody?: { required?: boolean; content: Content };
  responses: Record<number, ResponseDoc>;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string): Content => ({ 'application/json': { schema: ref(name) } });
const err = (description: string): ResponseDoc => ({ description, content: json('ApiError') });
const binary = { type: 'string', format: 'binary' };
const files = { type: 'array', items: binary };
const ifMatch = { name: 'If-Match', in: 'header', required: true, schema: { type: 'string' }, description: 'the preset version as its ETag, e.g. "3"' };
const presetMultipart = (schema: string): Content => ({
  'multipart/form-data': {
    schema: { type: 'object', properties: { style: files, preset: { type: 'string', contentMediaType: 'application/json', contentSchema: ref(schema) } } },
  },
});
const unauthorized = err('no or bad token');

/** The routes of API v1. */
export const ROUTES: readonly RouteDoc[] = [
  { method: 'get', path: '/health', summary: 'Liveness', auth: false, responses: { 200: { description: 'ok', content: json('Health') } } },
  { method: 'get', path: '/info', summary: 'Version, backend, device, weights, queue and limits', responses: { 200: { description: 'info', content: json('Info') }, 401: unauthorized } },
  {
    method: 'post',
    path: '/jobs',
    summary: 'Submit a stylization job (several content images = a batch sharing the style targets)',
    parameters: [
      {
        name: DECLARED_PIXELS_HEADER,
        in: 'header',
        required: false,
        schema: { type: 'integer', minimum: 0 },
        description: "pixels (width × height, summed) of the uploaded images: the team's pixel share is checked before the body is read",
      },
    ],
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['content'],
            properties: {
              content: files,
              style: files,
              init: binary,
              params: { type: 'string', description: 'JSON object', contentMediaType: 'application/json', contentSchema: ref('StylizeParams') },
            },
            allOf: [ref('CreateJobFields')],
          },
        },
      },
    },
    responses: {
      202: { description: 'queued', content: json('CreateJobResponse') },
      400: err('bad params or images'),
      401: unauthorized,
      404: err('unknown preset'),
      413: err('too large'),
      415: err('not multipart, or not an image'),
      422: err('layer not covered by the weights'),
      429: err("queue full, the team's share of the queue or of pixels used, or too many uploads of the team at once (see Retry-After); answered before the body is read"),
    },
  },
  { method: 'get', path: '/jobs/{id}', summary: 'Job status', responses: { 200: { description: 'status', content: json('JobStatus') }, 404: err('unknown job') } },
  {
    method: 'delete',
    path: '/jobs/{id}',
    summary: 'Cancel a queued/running job, or forget a finished one',
    responses: { 202: { description: 'cancel requested', content: json('JobStatus') }, 204: { description: 'forgotten' }, 404: err('unknown job') },
  },
  {
    method: 'get',
    path: '/jobs/{id}/events',
    summary: 'Server-Sent Events: queued, progress (with base64 PNG preview), succeeded, failed, canceled',
    responses: { 200: { description: 'event stream; each data line is a JobEvent', content: { 'text/event-stream': { schema: ref('JobEvent') } } }, 404: err('unknown job') },
  },
  {
    method: 'get',
    path: '/jobs/{id}/result',
    summary: 'Result PNG of content image `index`',
    parameters: [{ name: 'index', in: 'query', required: false, schema: { type: 'integer', minimum: 0 } }],
    responses: { 200: { description: 'PNG', content: { 'image/png': { schema: binary } } }, 404: err('unknown job or index'), 409: err('job not succeeded') },
  },
  { method: 'get', path: '/presets', summary: "The caller's team's presets", responses: { 200: { description: 'list', content: json('PresetList') } } },
  {
    method: 'post',
    path: '/presets',
    summary: "Create a preset (multipart: 'style' files + 'preset' JSON)",
    requestBody: { content: presetMultipart('PresetInput') },
    responses: { 201: { description: 'created (ETag = version)', content: json('Preset') }, 400: err('invalid preset'), 409: err('name taken') },
  },
  { method: 'get', path: '/presets/{id}', summary: 'One preset', responses: { 200: { description: 'preset', content: json('Preset') }, 404: err('unknown preset') } },
  {
    method: 'put',
    path: '/presets/{id}',
    summary: 'Replace (If-Match: "<version>" required)',
    parameters: [ifMatch],
    requestBody: { content: { ...presetMultipart('PresetInput'), ...json('PresetInput') } },
    responses: { 200: { description: 'replaced', content: json('Preset') }, 412: err('stale version'), 428: err('If-Match missing') },
  },
  {
    method: 'patch',
    path: '/presets/{id}',
    summary: 'Change some fields (If-Match required)',
    parameters: [ifMatch],
    requestBody: { content: { ...presetMultipart('PresetPatch'), ...json('PresetPatch'), 'application/merge-patch+json': { schema: ref('PresetPatch') } } },
    responses: { 200: { description: 'patched', content: json('Preset') }, 412: err('stale version'), 428: err('If-Match missing') },
  },
  {
    method: 'delete',
    path: '/presets/{id}',
    summary: 'Delete (If-Match required)',
    parameters: [ifMatch],
    responses: { 204: { description: 'deleted' }, 412: err('stale version'), 428: err('If-Match missing') },
  },
  {
    method: 'get',
    path: '/presets/{id}/styles/{n}',
    summary: "A preset's style image",
    pathParams: { n: { type: 'integer', minimum: 0 } },
    responses: { 200: { description: 'image bytes', content: { 'image/*': { schema: binary } } }, 404: err('unknown preset or index') },
  },
  { method: 'get', path: '/openapi.json', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } },
];
