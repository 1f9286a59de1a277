/**
 * Telegram through the Bot API: `POST {TELEGRAM_API_URL}/bot<token>/sendMessage`. The token is in
 * the path, so no error message here ever carries the URL; the caller redacts the token anyway.
 */
import { safeRequest } from '../net/safe-http';
import { DeliveryError } from './types';

export interface TelegramMessage {
  /** Base of the Bot API, without a trailing slash. */
  apiUrl: string;
  botToken: string;
  chatId: string;
  text: string;
}

interface BotApiAnswer {
  ok?: boolean;
  result?: { message_id?: number };
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

/** Sends one message; answers with the Bot API's message id. Throws {@link DeliveryError}. */
export async function sendTelegramMessage(
  message: TelegramMessage,
  options: { timeoutMs: number },
): Promise<{ response: string }> {
  let status: number;
  let answer: BotApiAnswer = {};
  try {
    const response = await safeRequest(
      `${message.apiUrl}/bot${message.botToken}/sendMessage`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Kassa-Notifications/1' },
        body: JSON.stringify({ chat_id: message.chatId, text: message.text, disable_web_page_preview: true }),
      },
      // The Bot API's address is the operator's setting (TELEGRAM_API_URL), not the merchant's.
      { allowPrivate: true, timeoutMs: options.timeoutMs, maxResponseBytes: 16_384 },
    );
    status = response.status;
    try {
      answer = JSON.parse(response.body) as BotApiAnswer;
    } catch {
      // not JSON: a proxy's error page; the status says enough
    }
  } catch (error) {
    const reason =
      (error as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (error as Error).message;
    throw new DeliveryError(`Telegram Bot API unreachable: ${reason}`, 'transient');
  }
  if (status >= 200 && status < 300 && answer.ok)
    return { response: `HTTP ${status}, message ${answer.result?.message_id ?? '?'}` };
  const said = answer.description ? `: ${answer.description}` : '';
  if (status === 429)
    throw new DeliveryError(
      `Telegram is rate-limiting the bot (HTTP 429${said})`,
      'transient',
      answer.parameters?.retry_after,
    );
  if (status >= 500 || status < 200)
    throw new DeliveryError(`Telegram Bot API answered HTTP ${status}${said}`, 'transient');
  // 400 chat not found, 401 bad token, 403 bot blocked or kicked: the merchant has to change the channel.
  throw new DeliveryError(`Telegram refused the message (HTTP ${status}${said})`, 'definite');
}
