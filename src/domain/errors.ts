/**
 * What went wrong, in the payments domain: services throw these and know nothing of HTTP; the API
 * maps each kind to its status and the error shape in one place (src/api/errors.ts).
 */
export type DomainErrorKind =
  'invalid' | 'unauthenticated' | 'not_found' | 'conflict' | 'unprocessable' | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, param?: string) =>
  new DomainError('not_found', 'resource_missing', `No such ${what}`, param);

export const invalid = (param: string, message: string, code = 'parameter_invalid') =>
  new DomainError('invalid', code, message, param);
