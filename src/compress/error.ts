/** The one error type of the decoders in this directory: corrupt, truncated or unsupported input. */
export class XzError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XzError';
  }
}
