import { Router } from 'express';
import type { ServiceDeps } from '../../../services/deps';

export function moneyScreens(_deps: ServiceDeps): Router {
  return Router();
}
