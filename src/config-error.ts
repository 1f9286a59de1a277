/** A bad configuration value: startup stops with this message, which names the variable, and no stack. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
