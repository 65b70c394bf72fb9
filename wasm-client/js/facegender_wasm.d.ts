// Types of the embind API in facegender_wasm.mjs (see wasm-client/README.md).
// Pixel buffers are tightly packed, row-major, 8 bits per channel; every
// function copies its inputs and returns fresh arrays. Bad input throws an
// Error named "InputError" with the core's message; a JS value of the wrong
// kind throws a TypeError.

export type Pixels = Uint8Array | Uint8ClampedArray | number[];
export type PixelFormat = 'gray' | 'rgb' | 'bgr' | 'rgba';

export interface ModelOutput {
  name: string;
  kind: 'probabilities' | 'logits';
}

export interface Box { x: number; y: number; width: number; height: number; }

/** Like cv::CascadeClassifier::detectMultiScale's parameters; omitted fields keep the defaults. */
export interface DetectParams {
  scaleFactor?: number;   // 1.1
  minNeighbors?: number;  // 3
  minSize?: number;       // 0 = the cascade's window
  maxSize?: number;       // 0 = the image
}

export interface FaceSearch extends DetectParams {
  padFraction?: number;   // 0: pad each side by this fraction of the longer side
  maxSide?: number;       // 0: detect on a copy at most this large (0 = never shrink)
}

export interface CropGeometry {
  margin?: number;  // 0.2, fraction of the box's longer side added on each side
  size?: number;    // 100, the square crop's side
  input?: number;   // 80, the model's input side (centre of the crop)
}

export interface Normalization { mean?: number; std?: number; }  // 0, 1

export interface FaceInputs {
  boxes: Box[];                           // largest first
  tensor: Float32Array;                   // N x 1 x input x input
  dims: [number, 1, number, number];
  /** Wall time inside the core: gray + face search, and crops + tensor. */
  timings: { detectMs: number; prepareMs: number };
}

/** A video's face search (see shared/include/facegender/track.hpp). */
export interface TrackSettings { fullSearchEvery?: number; window?: number; facePixels?: number; }
export interface FaceTracker {
  /** faceInputs for the next frame; fullSearch says whether this frame had a full search. */
  faceInputs(faces: Cascade, rgba: Pixels, width: number, height: number, geometry: CropGeometry | null,
             normalization: Normalization | null): FaceInputs & { fullSearch: boolean };
  reset(): void;
  readonly lastWasFullSearch: boolean;
  delete(): void;
}

export interface Prediction { classIndex: number; className: string; confidence: number; label: string; }

export type CropSpec =
  | { kind: 'box'; margin?: number; size?: number; input?: number }
  | { kind: 'aligned'; scale?: number; shift?: number; size?: number };  // 4.2, 0.2, 80

export interface ModelSpec {
  classNames: string[];
  crop: Required<CropGeometry>;
  cropSpec: CropSpec;
  /** The detector the model was trained with ('haar' when its metadata names none). */
  detector: 'haar' | 'blazeface';
  normalization: Required<Normalization>;
}

export interface Point { x: number; y: number; }
/** A BlazeFace face: box, keypoints (right eye, left eye, nose tip, mouth, right ear, left ear; the person's right), score. */
export interface FaceDetection extends Point { width: number; height: number; score: number; keypoints: Point[]; }
export type SceneName = 'photo' | 'webcam' | 'chip';
/** The core's scene presets (scenePreset); an object starts from the preset named by `scene` (default photo). */
export interface SceneSettings {
  scene?: SceneName; shortRange?: boolean; fullRange?: boolean; shortMinScore?: number; fullMinScore?: number;
  padFraction?: number; retryPadFraction?: number; retryMinScore?: number; maxFaces?: number;
  overlapIou?: number; insideFraction?: number;
}
export interface BlazeFaceInputs {
  boxes: Box[]; faces: FaceDetection[]; tensor: Float32Array; input: number; detectMs: number; prepareMs: number;
}
export interface FaceFinder {
  find(pixels: Pixels, width: number, height: number, format: PixelFormat, scene: SceneName | SceneSettings | null): FaceDetection[];
  faceInputs(rgba: Pixels, width: number, height: number, scene: SceneName | SceneSettings | null,
             crop: CropSpec | null, normalization: Normalization | null): BlazeFaceInputs;
  delete(): void;
}
export interface FaceSmoother {
  faceInputs(finder: FaceFinder, rgba: Pixels, width: number, height: number, crop: CropSpec | null,
             normalization: Normalization | null): BlazeFaceInputs;
  reset(): void;
  delete(): void;
}
export interface AlignSpec { scale?: number; shift?: number; size?: number; }

export interface Cascade {
  readonly windowWidth: number;
  readonly windowHeight: number;
  readonly stageCount: number;
  detect(gray: Pixels, width: number, height: number, params: DetectParams | null | undefined): Box[];
  detectCandidates(gray: Pixels, width: number, height: number, params: DetectParams | null | undefined): Box[];
  /** Frees the C++ object; call when done. */
  delete(): void;
}

export interface FaceGender {
  coreVersion(): string;

  toGray(pixels: Pixels, width: number, height: number): Uint8Array;  // RGBA in
  toGray(pixels: Pixels, width: number, height: number, format: PixelFormat): Uint8Array;
  resize(gray: Pixels, width: number, height: number, newWidth: number, newHeight: number): Uint8Array;
  resizeArea(gray: Pixels, width: number, height: number, newWidth: number, newHeight: number): Uint8Array;
  resizeBilinear(gray: Pixels, width: number, height: number, newWidth: number, newHeight: number): Uint8Array;
  squareCrop(gray: Pixels, width: number, height: number, box: Box, margin: number):
      { pixels: Uint8Array; width: number; height: number };
  cropFace(gray: Pixels, width: number, height: number, box: Box, geometry: CropGeometry | null | undefined): Uint8Array;
  centerCrop(gray: Pixels, width: number, height: number, size: number): Uint8Array;
  toTensor(gray: Pixels, width: number, height: number, normalization: Normalization | null | undefined): Float32Array;

  Cascade: { fromJson(text: string, sourceName: string): Cascade };
  findFaces(cascade: Cascade, gray: Pixels, width: number, height: number, search: FaceSearch | null | undefined): Box[];
  estimateRoll(eyes: Cascade, gray: Pixels, width: number, height: number, face: Box): number | null;
  faceInputs(faces: Cascade, rgba: Pixels, width: number, height: number, search: FaceSearch | null,
             geometry: CropGeometry | null, normalization: Normalization | null): FaceInputs;

  FaceTracker: { create(search: FaceSearch | null, settings: TrackSettings | null): FaceTracker };

  /** BlazeFace from the build's .fgnet bytes (build/native/detectors/). */
  FaceFinder: { fromBytes(shortRange: Uint8Array, fullRange: Uint8Array): FaceFinder };
  FaceSmoother: { create(settings: { follow?: number; still?: number } | null): FaceSmoother };
  scenePreset(name: SceneName): Required<Omit<SceneSettings, 'scene'>>;
  letterboxInput(pixels: Pixels, width: number, height: number, format: PixelFormat, region: Box, size: number): Float32Array;
  alignedCrop(gray: Pixels, width: number, height: number, face: FaceDetection, spec: AlignSpec | null): Uint8Array;
  estimatePose(face: FaceDetection): { yaw: number; pitch: number; roll: number };
  /** The project's split rule on a file's SHA-256 (hex). Throws InputError unless it starts with 8 hex digits. */
  splitOfSha256(sha256: string): 'train' | 'val' | 'test';
  /** prepare's dataset rules: the smallest face box side (px) and the pose limits (degrees). */
  datasetRules(): { minFace: number; pose: { yaw: number; pitch: number; roll: number } };
  /** A photo's faces (best first) against the dataset rules; detail names the problem ('' for none). */
  checkFaces(faces: FaceDetection[], width: number, height: number):
    { issue: 'none' | 'no_face' | 'several_faces' | 'too_small' | 'too_turned'; detail: string };

  softmax(logits: Float32Array | Float64Array | number[]): Float32Array;
  formatLabel(className: string, probability: number): string;
  predict(probabilities: Float32Array | Float64Array | number[], classNames: string[]): Prediction;
  parseModelSpec(metadata: Record<string, unknown> | Map<string, unknown>): ModelSpec;
  /** The output to read and what it holds: "probabilities" by name, else "logits" by name, else metadata.output. Throws InputError. */
  chooseModelOutput(outputNames: string[], metadata: Record<string, unknown> | Map<string, unknown>): ModelOutput;
  /** One face's output row as probabilities: softmax of logits, or checked probabilities. Throws InputError. */
  outputProbabilities(row: Float32Array | Float64Array | number[], kind: 'probabilities' | 'logits', classes: number): Float32Array;
}

export default function createFaceGender(moduleOverrides?: { wasmBinary?: ArrayBuffer | Uint8Array;
                                                            locateFile?: (path: string, prefix: string) => string;
                                                          }): Promise<FaceGender>;
