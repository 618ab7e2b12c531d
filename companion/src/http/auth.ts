/** Bearer-token authentication: `Authorization: Bearer <token>` or 401 `unauthorized` without details. */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendError } from './errors.js';

/** Who a request acts for, set on `req.auth` by `requireAuth`. */
export interface AuthContext {
  teamId: string;
}

/** An authenticated request's context, with a re-check of its token for long-lived answers (event streams). */
export interface RequestAuth extends AuthContext {
  /** False once the token was revoked, rotated or moved to another team. */
  stillValid(): Promise<boolean>;
}

/** Resolves a token to its team, or null when it is not valid. */
export type Authenticate = (token: string) => Promise<AuthContext | null>;

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by requireAuth on authenticated requests. */
    auth?: RequestAuth;
  }
}

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/** Middleware that requires a valid bearer token and sets `req.auth`. */
export function requireAuth(authenticate: Authenticate): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const m = BEARER.exec(req.headers.authorization ?? '');
    const deny = (): void => {
      res.setHeader('WWW-Authenticate', 'Bearer');
      sendError(res, 401, 'unauthorized', 'missing or invalid token');
    };
    if (!m) return deny();
    authenticate(m[1]).then(
      (ctx) => {
        if (!ctx) return deny();
        const token = m[1];
        const stillValid = async (): Promise<boolean> => (await authenticate(token))?.teamId === ctx.teamId;
        req.auth = { teamId: ctx.teamId, stillValid };
        next();
      },
      (err: unknown) => next(err),
    );
  };
}

/** The authenticated team of a request that went through requireAuth. */
export function teamOf(req: Request): string {
  if (!req.auth) throw new Error('request is not authenticated');
  return req.auth.teamId;
}
