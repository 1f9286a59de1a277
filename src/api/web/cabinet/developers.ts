import { Router } from 'express';
import type { ServiceDeps } from '../../../services/deps';

export function developerScreens(_deps: ServiceDeps): Router {
  return Router();
}
