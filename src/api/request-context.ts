/**
 * Per-request context: an `x-request-id` (taken from the caller when well-formed, else made up,
 * and always answered), a pino child logger carrying it, and the payment and workflow the
 * request touched, so every line about a request names them. One access-log line per request.
 */
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { Request, RequestHandler } from 'express';
import { randomToken } from '../domain/ids';
import type { Logger } from '../observability/logger';
import { annotateRequest, type RequestContext, requestScope } from '../observability/request-scope';
import { routeLabel } from '../observability/route-label';

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;
const paymentInPath = /\/(pay_[0-9A-Za-z]{8,64})(?:\/|$)/;
const quietPaths = new Set(['/healthz', '/readyz', '/metrics']);

/** The middleware: first in the app, so every later line and the error handler see the context. */
export function requestContext(
  logger: Logger,
  onFinish?: (req: Request, status: number, seconds: number) => void,
): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const requestId = given && requestIdPattern.test(given) ? given : `req_${randomToken(20)}`;
    res.setHeader('x-request-id', requestId);
    const context: RequestContext = { requestId, log: logger.child({ requestId }) };
    const fromPath = paymentInPath.exec(req.path)?.[1];
    if (fromPath) context.paymentId = fromPath;
    res.locals.requestContext = context;
    // At debug level, what came in (secrets are censored on the way out: src/observability/logger.ts).
    if (context.log.isLevelEnabled('debug'))
      context.log.debug({ method: req.method, url: req.originalUrl, headers: req.headers }, 'request received');
    const started = process.hrtime.bigint();
    // `close` comes after `finish`, and also when the client goes away before the answer.
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(req);
      onFinish?.(req, res.statusCode, seconds);
      const level = res.statusCode >= 500 ? 'error' : quietPaths.has(req.path) ? 'debug' : 'info';
      const path = route === 'unmatched' ? req.originalUrl.split('?')[0] : route;
      context.log[level](
        {
          method: req.method,
          route,
          ...(route === 'unmatched' && { path }),
          status: res.statusCode,
          durationMs: Math.round(seconds * 1000),
          ...(!res.writableFinished && { aborted: true }),
          ...(context.paymentId && { paymentId: context.paymentId }),
          ...(context.workflowId && { workflowId: context.workflowId }),
        },
        `${req.method} ${path} ${res.statusCode}`,
      );
    });
    requestScope.run(context, () => next());
  };
}

/**
 * A Temporal client interceptor that tells the current request which workflow it started,
 * signalled, updated or queried, so the request's lines carry the workflow id and payment id.
 */
export function requestContextClientInterceptor(): WorkflowClientInterceptor {
  const touch = (workflowId: string | undefined) => annotateRequest({ workflowId });
  return {
    start: (input, next) => (touch(input.options.workflowId), next(input)),
    startWithDetails: (input, next) => (touch(input.options.workflowId), next(input)),
    signal: (input, next) => (touch(input.workflowExecution.workflowId), next(input)),
    startUpdate: (input, next) => (touch(input.workflowExecution.workflowId), next(input)),
    query: (input, next) => (touch(input.workflowExecution.workflowId), next(input)),
    describe: (input, next) => (touch(input.workflowExecution.workflowId), next(input)),
    cancel: (input, next) => (touch(input.workflowExecution.workflowId), next(input)),
    terminate: (input, next) => (touch(input.workflowExecution.workflowId), next(input)),
  };
}
