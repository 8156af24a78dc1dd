/**
 * Errors of the local broker manager. Each says what is wrong and what to do.
 *
 * @module
 */

/** Something stops airq from starting or reaching its local broker. */
export class BrokerError extends Error {
  /** A short machine-readable reason, e.g. `java-missing`, `port-in-use`. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokerError";
    this.code = code;
  }
}
