import { Router } from 'express';
import type { ServiceDeps } from '../../../services/deps';

export function checkoutScreens(_deps: ServiceDeps): Router {
  return Router();
}
