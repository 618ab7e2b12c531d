/** `GET /v1/openapi.json`: the API v1 as OpenAPI 3.1: paths from the route registry (routes.ts), schemas from the shared zod schemas. */
import { Router } from 'express';
import { z } from 'zod';
import { stylizeParamsSchema } from '../../../shared/params.js';
import {
  API_PREFIX,
  DEFAULT_COMPANION_URL,
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
import { ROUTES, type RouteDoc } from './routes.js';

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** Component schemas, generated from the shared zod schemas the routers validate with. */
const SCHEMAS: Record<string, [z.ZodType, 'input' | 'output']> = {
  ApiError: [apiErrorSchema, 'output'],
  Health: [healthSchema, 'output'],
  Info: [infoSchema, 'output'],
  StylizeParams: [stylizeParamsSchema, 'input'],
  CreateJobFields: [createJobFieldsSchema, 'input'],
  CreateJobResponse: [createJobResponseSchema, 'output'],
  JobStatus: [jobStatusSchema, 'output'],
  JobEvent: [jobEventSchema, 'output'],
  Preset: [presetSchema, 'output'],
  PresetList: [presetListSchema, 'output'],
  PresetInput: [presetInputSchema, 'input'],
  PresetPatch: [presetPatchSchema, 'input'],
};

/** One path item's operation from its registry entry. */
function operation(route: RouteDoc): Record<string, unknown> {
  const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: route.pathParams?.[name] ?? { type: 'string' },
  }));
  const parameters = [...pathParams, ...(route.parameters ?? [])];
  return {
    summary: route.summary,
    ...(route.auth === false ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.requestBody ? { requestBody: route.requestBody } : {}),
    responses: route.responses,
  };
}

/** Builds the OpenAPI document from the route registry (pure; cached by the router). */
export function buildOpenApi(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) (paths[`${API_PREFIX}${route.path}`] ??= {})[route.method] = operation(route);
  return {
    openapi: '3.1.0',
    info: { title: 'Atelier companion API', version: VERSION, description: 'Neural style transfer (Gatys et al., VGG-19) as a local service.' },
    servers: [{ url: DEFAULT_COMPANION_URL }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: Object.fromEntries(Object.entries(SCHEMAS).map(([name, [schema, io]]) => [name, jsonSchema(schema, io)])),
    },
    security: [{ bearer: [] }],
    paths,
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
