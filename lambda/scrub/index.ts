/** The one scrubbing module: secret forms, whole-text/buffer scrubbing, and a chunk-safe stream scrubber. */

export { isTextErrorAnswer, scrubReflectedSecrets } from "./reflected-secrets";
export { DEFAULT_PLACEHOLDER, scrubBuffer, scrubText } from "./scrub-text";
export { MIN_SECRET_LENGTH, secretForms } from "./secret-forms";
export { createStreamScrubber, type StreamScrubber } from "./stream-scrubber";
