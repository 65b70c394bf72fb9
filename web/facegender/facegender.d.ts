// Types of facegender's browser API (facegender.js).

/** What went wrong, for a page to act on; the message is written for people. */
export type FaceGenderErrorCode =
  | 'load'                // the core, detector or model could not be loaded
  | 'backend'             // an unknown backend was asked for
  | 'image'               // a file that is empty, not an image, damaged or too large
  | 'source'              // classify() was given something that is not a picture
  | 'classify'            // classifying failed
  | 'closed'              // the FaceGender was closed
  | 'camera-denied'
  | 'camera-not-found'
  | 'camera-busy'
  | 'camera-unsupported'
  | 'camera';

export class FaceGenderError extends Error {
  constructor(code: FaceGenderErrorCode, message: string, options?: { cause?: unknown });
  readonly name: 'FaceGenderError';
  readonly code: FaceGenderErrorCode;
}

export type Backend = 'webgpu' | 'wasm';
export type BackendChoice = 'auto' | Backend;
export const BACKEND_CHOICES: readonly BackendChoice[];

export interface Point { x: number; y: number }
export interface Box { x: number; y: number; width: number; height: number }

export interface Face {
  /** 0-based, in the order the detector gives (surest first). */
  index: number;
  /** In a watch() loop: the face's track, kept while it stays in view; else null. */
  id: number | null;
  /** The face's box in the picture's pixels: the region the model's crop was cut from. */
  box: Box;
  /** The detector's own box (tighter than `box`); null for a whole-image result or a Haar model. */
  detection: Box | null;
  /** The detector's confidence in (0, 1); null for the whole-image result. */
  score: number | null;
  /** Six keypoints (right eye, left eye, nose tip, mouth, right ear, left ear); [] without a detector. */
  keypoints: Point[];
  /** The most probable class, e.g. "female". */
  label: string;
  /** Its calibrated probability, in [0, 1]. */
  probability: number;
  /** For people: "female 97.3%". */
  text: string;
  /** Every class's calibrated probability, by class name. */
  probabilities: Record<string, number>;
}

export interface Timings {
  decodeMs?: number;
  captureMs?: number;
  /** Gray conversion and face search, timed inside the core. */
  detectMs: number;
  /** Crops and model input, timed inside the core. */
  prepareMs: number;
  inferMs: number;
  /** The sum of the stages above. */
  totalMs: number;
  /** watch(): wall time from the frame's capture to its result, the worker's messaging included. */
  frameMs?: number;
}

export interface Result {
  /** The picture's size as classified (pictures over 4096 px are scaled down first). */
  width: number;
  height: number;
  faces: Face[];
  classNames: string[];
  timings: Timings;
  /** The model's input batch (N x 1 x S x S), for inspection. */
  input: { tensor: Float32Array; dims: number[] };
  /** classify(): the pixels that were classified. */
  image?: ImageData;
  /** classify(): the source's own size, whether it was scaled, and a file's name. */
  original?: { width: number; height: number; scaled: boolean; name: string };
  /** classify(..., {wholeImage: true}). */
  wholeImage?: boolean;
  /** watch(): the frame that was classified; redrawn by the next frame, so draw it in the callback. */
  frame?: HTMLCanvasElement | OffscreenCanvas;
  /** watch(): frames classified per second over the last second. */
  fps?: number;
  /** watch() with a Haar model: whether this frame had a full face search. */
  fullSearch?: boolean;
}

export interface LoadOptions {
  /** 'auto' (default): WebGPU when the browser has an adapter, else WebAssembly. */
  backend?: BackendChoice;
  /** WebAssembly inference threads (needs a cross-origin isolated page for more than 1). */
  threads?: number;
  /** Another model's URL (an ONNX file exported by `facegender export`); default the bundled one. */
  model?: string | URL | null;
  /** Loading steps, for a status line. */
  onProgress?: (text: string) => void;
}

export interface WatchOptions {
  /** Called once when the loop stops on an error (default: console.error). */
  onError?: (error: FaceGenderError) => void;
}

export interface ModelSpec {
  classNames: string[];
  detector: string;
  temperature: number;
  [key: string]: unknown;
}

export type PictureSource =
  | HTMLImageElement | SVGImageElement | HTMLCanvasElement | OffscreenCanvas | ImageBitmap | ImageData
  | Blob | File | HTMLVideoElement | VideoFrame;

export class VideoWatch {
  readonly running: boolean;
  readonly paused: boolean;
  readonly fps: number;
  pause(): void;
  resume(): void;
  stop(): void;
}

export class FaceGender {
  static load(options?: LoadOptions): Promise<FaceGender>;
  static openCamera(video?: MediaTrackConstraints): Promise<MediaStream>;
  readonly classNames: string[];
  readonly backend: Backend;
  readonly backendName: string;
  readonly backendNote: string;
  readonly threads: number;
  readonly spec: ModelSpec;
  readonly loadTimings: Record<string, number>;
  readonly modelCardUrl: string | null;
  classify(source: PictureSource, options?: { wholeImage?: boolean }): Promise<Result>;
  watch(video: HTMLVideoElement, onResult: (result: Result) => void | Promise<void>, options?: WatchOptions): VideoWatch;
  setBackend(backend: BackendChoice, onProgress?: (text: string) => void): Promise<void>;
  featureMaps(input: Float32Array): Promise<{
    path: string | null; note: string; probabilities: number[] | null;
    maps: { name: string; channels: number; height: number; width: number; data: Float32Array }[];
  }>;
  close(): void;
}
