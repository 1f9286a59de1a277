import { Router } from 'express';
import type { ServiceDeps } from '../../../services/deps';

export function homeScreens(_deps: ServiceDeps): Router {
  return Router();
}
