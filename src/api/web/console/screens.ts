import { Router } from 'express';
import type { ServiceDeps } from '../../../services/deps';

export function operatorScreens(_deps: ServiceDeps): Router {
  return Router();
}
