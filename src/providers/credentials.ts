/** Pieces of the credentials schemas adapters share. */
import { z } from 'zod';

/** A provider's base URL in a connector's credentials: http(s) only (tests point it at a simulator). */
export const providerUrl = z
  .string()
  .max(2000)
  .refine((value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');
