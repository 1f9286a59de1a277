import { Router } from 'express';
import type { ServiceDeps } from '../../../services/deps';

export function paymentScreens(_deps: ServiceDeps): Router {
  return Router();
}
