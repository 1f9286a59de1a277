import { Router } from 'express';
import type { ServiceDeps } from '../../../services/deps';

export function teamScreens(_deps: ServiceDeps): Router {
  return Router();
}
