import path from 'node:path';
import type { Config } from '../config';
import { notificationsKey } from './secrets';
import type { NotificationSettings } from './types';

/** The dev mail log's directory: e-mail goes there outside production when `SMTP_URL` is unset. */
export const mailLogDir = (config: Pick<Config, 'dataDir'>) => path.resolve(config.dataDir, 'mail');

/** How the worker delivers notifications, from config (the composition root calls this once). */
export function notificationSettings(config: Config): NotificationSettings {
  return {
    key: notificationsKey(config),
    smtpUrl: config.notifications.smtpUrl,
    mailLogDir: config.notifications.smtpUrl || config.env === 'production' ? null : mailLogDir(config),
    mailFrom: config.notifications.mailFrom,
    telegramApiUrl: config.notifications.telegramApiUrl,
    retrySeconds: config.notifications.retrySeconds,
    allowPrivateUrls: config.allowPrivateWebhookUrls,
  };
}

/** Whether e-mail can go anywhere: SMTP, or the dev mail log. */
export const emailAvailable = (config: Config) => config.notifications.smtpUrl !== null || config.env !== 'production';
