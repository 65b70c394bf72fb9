// @ts-check
// The library's one error type: every failure a page can act on is a
// FaceGenderError whose `code` says what kind it is and whose message is
// written for the person using the page.

/** @typedef {import('./facegender').FaceGenderErrorCode} FaceGenderErrorCode */

export class FaceGenderError extends Error {
  /**
   * @param {FaceGenderErrorCode} code
   * @param {string} message
   * @param {{cause?: unknown}} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'FaceGenderError';
    /** @type {FaceGenderErrorCode} */
    this.code = code;
  }
}

/**
 * `error` as a FaceGenderError: itself when it is one, else one of `code`
 * whose message starts with `context` and keeps the original as its cause.
 * @param {unknown} error
 * @param {FaceGenderErrorCode} code
 * @param {string} context
 */
export function asFaceGenderError(error, code, context) {
  if (error instanceof FaceGenderError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new FaceGenderError(code, `${context}: ${detail}`, { cause: error });
}
