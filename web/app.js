// The facegender page: photos (file input, drag and drop, paste) and the
// webcam go through the classifier, which runs in a Worker (classifier-client.js,
// classifier-worker.js, pipeline.js); the page draws a box and a
// label on each face and lists the labels in #results.
//
// For tests and curious users, window.__facegender holds the state and the
// last result with its raw probabilities (one row per face, class order of
// window.__facegender.classNames).

import { BACKEND_CHOICES, CAMERA_TRACKING, PHOTO_SEARCH, defaultOrtThreads } from './pipeline.js';
import { ClassifierClient } from './classifier-client.js';
import { UserFacingError, decodeImageFile } from './image-file.js';

const $ = (id) => document.getElementById(id);
const ui = {
  fileInput: $('file-input'),
  dropZone: $('drop-zone'),
  cameraStart: $('camera-start'),
  cameraStop: $('camera-stop'),
  status: $('status'),
  message: $('message'),
  noFace: $('no-face'),
  wholeImage: $('whole-image'),
  keypoints: $('keypoints-toggle'),
  view: $('view'),
  video: $('video'),
  results: $('results'),
  backend: $('backend'),
  backendChoice: $('backend-choice'),
  fps: $('fps'),
  captureMs: $('capture-ms'),
  detectMs: $('detect-ms'),
  prepareMs: $('prepare-ms'),
  inferMs: $('infer-ms'),
  classNames: $('class-names'),
  modelCardNote: $('model-card-note'),
  modelCardLink: $('model-card-link'),
  inspectorToggle: $('inspector-toggle'),
  inspectorPanel: $('inspector-panel'),
  inspectorCanvas: $('inspector-canvas'),
};

const state = {
  classifier: null,
  // The picture on screen: {rgba, width, height, name} (photo) or the camera.
  picture: null,
  camera: null,  // {stream, running, frames, windowStart, lastListUpdate}
  photoToken: 0,  // a newer photo makes older, slower ones drop their result
  inspector: null,  // the inspector panel (inspector.js), loaded when first opened
  lastResult: null,  // {result, source}: what the inspector shows when opened
};

const debug = {
  state: 'loading',
  backend: null,
  classNames: null,
  last: null,
  messages: [],
  cspViolations: [],
  framesClassified: 0,
  frameLog: [],
  photosClassified: 0,
};
window.__facegender = debug;
// The inspector's state as its C++ side reports it (null until first opened).
Object.defineProperty(debug, 'inspector', { enumerable: true, get: () => state.inspector?.status() ?? null });

document.addEventListener('securitypolicyviolation', (event) => {
  debug.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});

// ---------------------------------------------------------------- messages

function setStatus(text) {
  ui.status.textContent = text;
}

function showMessage(text) {
  ui.message.textContent = text;
  ui.message.hidden = false;
  debug.messages.push(text);
}

function clearMessage() {
  ui.message.hidden = true;
  ui.message.textContent = '';
}

function reportError(error, context) {
  if (error instanceof UserFacingError) {
    showMessage(error.message);
  } else {
    console.error(`facegender: ${context}:`, error);
    showMessage(`Something went wrong ${context}: ${error?.message ?? error}. The page still works: try another picture.`);
  }
}

const formatMs = (ms) => `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;

// ---------------------------------------------------------------- drawing

const workCanvas = document.createElement('canvas');
const workContext = workCanvas.getContext('2d', { willReadFrequently: true });
const viewContext = ui.view.getContext('2d');

// Draws `source` into the work canvas and returns its RGBA pixels.
function capture(source, width, height) {
  if (workCanvas.width !== width || workCanvas.height !== height) {
    workCanvas.width = width;
    workCanvas.height = height;
  }
  workContext.clearRect(0, 0, width, height);
  workContext.drawImage(source, 0, 0, width, height);
  return workContext.getImageData(0, 0, width, height).data;
}

// The six keypoints of BlazeFace faces (eyes, nose tip, mouth, ears) as dots.
function drawKeypoints(ctx, faces, mirrored, width, radius) {
  ctx.fillStyle = '#ff4f6d';
  for (const face of faces) {
    for (const point of face.keypoints) {
      const x = mirrored ? width - point.x : point.x;
      ctx.beginPath();
      ctx.arc(x, point.y, radius, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}

// Shows the work canvas (mirrored for the webcam) with a box and label per
// face, and BlazeFace's keypoints when there are some and the toggle is on.
function drawView(boxes, labels, mirrored, faces = null) {
  const { width, height } = workCanvas;
  if (ui.view.width !== width || ui.view.height !== height) {
    ui.view.width = width;
    ui.view.height = height;
  }
  const ctx = viewContext;
  ctx.setTransform(mirrored ? -1 : 1, 0, 0, 1, mirrored ? width : 0, 0);
  ctx.drawImage(workCanvas, 0, 0);
  ctx.setTransform(1, 0, 0, 1, 0, 0);

  const longSide = Math.max(width, height);
  const line = Math.max(2, Math.round(longSide / 320));
  const fontSize = Math.max(13, Math.round(longSide / 45));
  ctx.font = `600 ${fontSize}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  if (faces && ui.keypoints.checked) drawKeypoints(ctx, faces, mirrored, width, line * 1.2);
  boxes.forEach((box, i) => {
    const x = mirrored ? width - box.x - box.width : box.x;
    ctx.lineWidth = line;
    ctx.strokeStyle = '#37e08f';
    ctx.strokeRect(x, box.y, box.width, box.height);
    const text = `${i + 1}: ${labels[i]}`;
    const pad = Math.round(fontSize / 4);
    const textWidth = ctx.measureText(text).width + 2 * pad;
    const textHeight = fontSize + 2 * pad;
    const tx = Math.min(Math.max(0, x), Math.max(0, width - textWidth));
    const ty = box.y - textHeight >= 0 ? box.y - textHeight : box.y;
    ctx.fillStyle = 'rgb(0 0 0 / 0.7)';
    ctx.fillRect(tx, ty, textWidth, textHeight);
    ctx.fillStyle = '#ffffff';
    ctx.fillText(text, tx + pad, ty + pad);
  });
}

function showResults(result, source) {
  ui.results.replaceChildren(...result.labels.map((label) => {
    const item = document.createElement('li');
    item.textContent = label;
    return item;
  }));
  ui.results.dataset.probabilities = JSON.stringify(result.probabilities);
  ui.results.dataset.source = source;
}

function showTimings(result) {
  const { captureMs } = result.timings;
  ui.captureMs.textContent = captureMs === undefined ? '–' : formatMs(captureMs);
  ui.detectMs.textContent = formatMs(result.timings.detectMs);
  ui.prepareMs.textContent = formatMs(result.timings.prepareMs);
  ui.inferMs.textContent = result.boxes.length > 0 ? formatMs(result.timings.inferMs) : '– (no face)';
}

function record(result, source, name) {
  // The model input by reference (no copy), for tests that hash it.
  debug.lastInput = { tensor: result.tensor, dims: result.dims };
  debug.last = {
    source,
    name,
    boxes: result.boxes.map((b) => ({ x: b.x, y: b.y, width: b.width, height: b.height })),
    // BlazeFace detections (box, score, keypoints), from which aligned crops are cut.
    faces: result.faces ?? null,
    probabilities: result.probabilities,
    labels: result.labels,
    timings: result.timings,
  };
  state.lastResult = { result, source };
  state.inspector?.update(result, state.classifier, source);
}

// ---------------------------------------------------------------- photos

async function classifyPhoto(file) {
  if (!state.classifier) return;
  stopCamera();
  clearMessage();
  const token = ++state.photoToken;
  const name = file.name || 'the pasted image';
  setStatus(`Reading “${name}”…`);
  ui.noFace.hidden = true;
  let decoded;
  try {
    decoded = await decodeImageFile(file);
  } catch (error) {
    if (token === state.photoToken) {
      setStatus(state.picture ? 'The previous picture is still shown.' : 'Choose a photo or start the webcam.');
      reportError(error, 'reading the file');
    }
    return;
  }
  try {
    if (token !== state.photoToken) return;
    const { bitmap, width, height } = decoded;
    const rgba = capture(bitmap, width, height);
    const result = await state.classifier.classifyFaces(rgba, width, height, PHOTO_SEARCH);
    if (token !== state.photoToken) return;
    state.picture = { rgba, width, height, name };
    state.pictureResult = result;
    drawView(result.boxes, result.labels, false, result.faces);
    showResults(result, 'photo');
    showTimings(result);
    ui.fps.textContent = '–';
    record(result, 'photo', name);
    debug.photosClassified += 1;
    const size = decoded.scaled
      ? `${decoded.originalWidth}×${decoded.originalHeight}, scaled to ${width}×${height}`
      : `${width}×${height}`;
    const count = result.boxes.length;
    if (count === 0) {
      setStatus(`No face found in “${name}” (${size}).`);
      ui.noFace.hidden = false;
    } else {
      // Haar's faces come largest first, BlazeFace's (with keypoints) surest first.
      const order = result.faces ? 'surest first' : 'largest first';
      setStatus(`${count} face${count === 1 ? '' : 's'} found in “${name}” (${size}), ${order}.`);
    }
  } catch (error) {
    reportError(error, 'classifying the photo');
  } finally {
    decoded.bitmap.close();
  }
}

// The work canvas may hold a newer picture that failed: draw this one again.
function redrawPicture(picture, result) {
  workCanvas.width = picture.width;
  workCanvas.height = picture.height;
  workContext.putImageData(new ImageData(picture.rgba, picture.width, picture.height), 0, 0);
  drawView(result.boxes, result.labels, false, result.faces);
}

// The photo on screen, classified again (after a backend switch).
async function reclassifyPicture() {
  const picture = state.picture;
  const result = await state.classifier.classifyFaces(picture.rgba, picture.width, picture.height, PHOTO_SEARCH);
  if (picture !== state.picture) return;
  state.pictureResult = result;
  redrawPicture(picture, result);
  showResults(result, 'photo');
  showTimings(result);
  record(result, 'photo', picture.name);
  debug.photosClassified += 1;
}

async function classifyWholeImage() {
  const picture = state.picture;
  if (!state.classifier || !picture) return;
  clearMessage();
  try {
    const result = await state.classifier.classifyWhole(picture.rgba, picture.width, picture.height);
    if (picture !== state.picture) return;
    state.pictureResult = result;
    redrawPicture(picture, result);
    showResults(result, 'whole-image');
    showTimings(result);
    record(result, 'whole-image', picture.name);
    ui.noFace.hidden = true;
    setStatus(`No face was found in “${picture.name}”: the whole picture was classified as if it were one face, ` +
      'so this label may mean nothing.');
  } catch (error) {
    reportError(error, 'classifying the whole image');
  }
}

function firstImageFile(files) {
  const list = Array.from(files ?? []);
  return list.find((f) => f.type.startsWith('image/')) ?? list[0] ?? null;
}

function setUpPhotoInputs() {
  ui.fileInput.addEventListener('change', () => {
    const file = ui.fileInput.files?.[0];
    ui.fileInput.value = '';  // choosing the same file again fires change again
    if (file) classifyPhoto(file);
  });

  let dragDepth = 0;
  document.addEventListener('dragenter', (event) => {
    event.preventDefault();
    dragDepth += 1;
    ui.dropZone.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) ui.dropZone.classList.remove('dragging');
  });
  document.addEventListener('dragover', (event) => event.preventDefault());
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    dragDepth = 0;
    ui.dropZone.classList.remove('dragging');
    if (!state.classifier) return;
    const file = firstImageFile(event.dataTransfer?.files);
    if (file) classifyPhoto(file);
    else showMessage('Drop an image file from this device (links and text are not opened).');
  });

  document.addEventListener('paste', (event) => {
    if (!state.classifier) return;
    const file = firstImageFile(event.clipboardData?.files);
    if (file) {
      event.preventDefault();
      classifyPhoto(file);
    } else {
      showMessage('The clipboard holds no image: copy a picture, then paste it here.');
    }
  });

  ui.wholeImage.addEventListener('click', classifyWholeImage);
  ui.keypoints.addEventListener('change', () => {
    if (state.picture && state.pictureResult && !state.camera) redrawPicture(state.picture, state.pictureResult);
  });
}

// ---------------------------------------------------------------- webcam

function cameraErrorText(error) {
  switch (error?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera access was denied, so the webcam cannot be used. You can still choose, drop or paste a photo.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. You can still choose, drop or paste a photo.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera could not be started (is another app using it?). You can still choose, drop or paste a photo.';
    default:
      return `The camera could not be started (${error?.name ?? 'error'}). You can still choose, drop or paste a photo.`;
  }
}

function updateCameraButtons() {
  const running = Boolean(state.camera);
  ui.cameraStart.disabled = !state.classifier || running;
  ui.cameraStop.disabled = !running;
}

async function startCamera() {
  if (!state.classifier || state.camera) return;
  clearMessage();
  if (!navigator.mediaDevices?.getUserMedia) {
    showMessage('This browser gives the page no camera access. You can still choose, drop or paste a photo.');
    return;
  }
  const camera = { stream: null, running: true, frames: 0, windowStart: performance.now(), lastListUpdate: 0 };
  state.camera = camera;
  state.classifier.resetTracking();
  updateCameraButtons();
  setStatus('Asking for the camera…');
  try {
    camera.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } },
      audio: false,
    });
    if (!camera.running) {  // stopped while asking
      camera.stream.getTracks().forEach((t) => t.stop());
      return;
    }
    ui.video.srcObject = camera.stream;
    await ui.video.play();
  } catch (error) {
    if (state.camera === camera) stopCamera();
    showMessage(cameraErrorText(error));
    setStatus(state.picture ? 'The previous picture is still shown.' : 'Choose a photo.');
    return;
  }
  state.photoToken += 1;  // a photo still being read must not replace the camera
  state.picture = null;
  ui.noFace.hidden = true;
  ui.results.replaceChildren();
  setStatus('Webcam on (mirrored preview). Frames are processed here and never leave this device.');
  scheduleFrame(camera);
}

function stopCamera() {
  const camera = state.camera;
  if (!camera) return;
  camera.running = false;
  camera.stream?.getTracks().forEach((t) => t.stop());
  ui.video.pause();
  ui.video.srcObject = null;
  state.camera = null;
  ui.fps.textContent = '–';
  updateCameraButtons();
  setStatus('Webcam stopped.');
}

// The last FRAME_LOG_SIZE webcam frames' timings (ms), oldest first, for the
// frame-rate benchmark (web/bench/frame-rate.mjs) and anyone profiling.
const FRAME_LOG_SIZE = 2000;
function logFrame(entry) {
  if (debug.frameLog.length >= FRAME_LOG_SIZE) debug.frameLog.shift();
  debug.frameLog.push(entry);
}

function scheduleFrame(camera) {
  if (!camera.running) return;
  if (ui.video.requestVideoFrameCallback) ui.video.requestVideoFrameCallback(() => cameraFrame(camera));
  else requestAnimationFrame(() => cameraFrame(camera));
}

async function cameraFrame(camera) {
  if (!camera.running) return;
  const width = ui.video.videoWidth;
  const height = ui.video.videoHeight;
  if (width === 0 || height === 0) {
    scheduleFrame(camera);
    return;
  }
  try {
    const t0 = performance.now();
    const rgba = capture(ui.video, width, height);
    const captureMs = performance.now() - t0;
    const result = await state.classifier.classifyVideoFrame(rgba, width, height, cameraTracking);
    if (!camera.running) return;
    result.timings.captureMs = captureMs;
    const t1 = performance.now();
    drawView(result.boxes, result.labels, true, result.faces);
    showTimings(result);
    record(result, 'camera', 'webcam');
    debug.framesClassified += 1;
    logFrame({ start: t0, faces: result.boxes.length, fullSearch: result.fullSearch, ...result.timings,
      drawMs: performance.now() - t1, totalMs: performance.now() - t0 });

    const now = performance.now();
    camera.frames += 1;
    const elapsed = now - camera.windowStart;
    if (elapsed >= 1000) {
      const fps = (camera.frames * 1000) / elapsed;
      ui.fps.textContent = fps.toFixed(1);
      debug.fps = fps;
      camera.frames = 0;
      camera.windowStart = now;
    }
    // The live list changes at most once a second, so screen readers keep up.
    if (now - camera.lastListUpdate >= 1000) {
      camera.lastListUpdate = now;
      showResults(result, 'camera');
      const count = result.boxes.length;
      setStatus(count === 0 ? 'Webcam on: no face in view.'
        : `Webcam on: ${count} face${count === 1 ? '' : 's'} in view.`);
    }
  } catch (error) {
    reportError(error, 'classifying a webcam frame');
    stopCamera();
    return;
  }
  scheduleFrame(camera);
}

function setUpCamera() {
  ui.cameraStart.addEventListener('click', startCamera);
  ui.cameraStop.addEventListener('click', stopCamera);
}

// ---------------------------------------------------------------- inspector

// The "Inspector" checkbox: inspector.js and its WebAssembly are loaded the
// first time it is ticked, so the page pays nothing for them otherwise.
async function toggleInspector() {
  try {
    if (!state.inspector) {
      const { Inspector } = await import('./inspector.js');
      state.inspector ??= new Inspector({ panel: ui.inspectorPanel, canvas: ui.inspectorCanvas, view: ui.view });
      const last = state.lastResult;
      if (last) state.inspector.update(last.result, state.classifier, last.source);
    }
    await state.inspector.setOpen(ui.inspectorToggle.checked);
  } catch (error) {
    ui.inspectorToggle.checked = false;
    state.inspector?.setOpen(false);
    reportError(error, 'opening the inspector');
  }
}

// ---------------------------------------------------------------- start

function useClassifier(classifier) {
  state.classifier = classifier;
  debug.backend = classifier.backend;
  debug.threads = classifier.threads;
  debug.loadTimings = classifier.loadTimings;
  ui.backend.textContent = classifier.backendName;
}

// The backend toggle: a new session on the same core and model; the webcam
// keeps running and its next frame uses the new one.
async function switchBackend() {
  const classifier = state.classifier;
  if (!classifier) return;
  ui.backendChoice.disabled = true;
  try {
    await classifier.switchBackend(ui.backendChoice.value, setStatus);
    useClassifier(classifier);
    setStatus(`Now running on ${state.classifier.backendName}.`);
    if (state.picture && !state.camera) await reclassifyPicture();
  } catch (error) {
    reportError(error, 'switching the backend');
  } finally {
    ui.backendChoice.disabled = false;
  }
}

// ?full-search-every=N: webcam frames per full face search (1 = every frame;
// default CAMERA_TRACKING's), to compare the tracker's cost and lag.
const cameraTracking = (() => {
  const every = Number(new URLSearchParams(window.location.search).get('full-search-every'));
  return Number.isInteger(every) && every >= 1 ? Object.freeze({ ...CAMERA_TRACKING, fullSearchEvery: every })
    : CAMERA_TRACKING;
})();

// ?threads=N: ONNX Runtime's WebAssembly threads (default: up to 4 when the
// page is cross-origin isolated, else 1), to measure what threads buy.
function requestedThreads() {
  const threads = Number(new URLSearchParams(window.location.search).get('threads'));
  return Number.isInteger(threads) && threads >= 1 && threads <= 16 ? threads : defaultOrtThreads();
}

// ?backend=wasm (or webgpu, auto) picks the first backend, as the toggle does.
function requestedBackend() {
  const wanted = new URLSearchParams(window.location.search).get('backend') ?? 'auto';
  return BACKEND_CHOICES.includes(wanted) ? wanted : 'auto';
}

async function start() {
  setUpPhotoInputs();
  setUpCamera();
  ui.inspectorToggle.addEventListener('change', toggleInspector);
  ui.backendChoice.value = requestedBackend();
  ui.backendChoice.addEventListener('change', switchBackend);
  try {
    const classifier = await ClassifierClient.load(setStatus,
      { backend: ui.backendChoice.value, threads: requestedThreads() });
    useClassifier(classifier);
    ui.backendChoice.disabled = false;
    debug.classNames = classifier.classNames.slice();
    ui.classNames.textContent = classifier.classNames.join(', ');
    if (classifier.buildInfo.modelCard) {
      ui.modelCardLink.href = classifier.buildInfo.modelCard;
      ui.modelCardNote.hidden = false;
    }
    ui.fileInput.disabled = false;
    updateCameraButtons();
    setStatus('Ready. Choose a photo or start the webcam.');
    debug.state = 'ready';
    document.body.dataset.state = 'ready';
  } catch (error) {
    console.error('facegender: loading failed:', error);
    showMessage(`The page could not load its face finder or model: ${error?.message ?? error}`);
    setStatus('Not available.');
    debug.state = 'error';
    document.body.dataset.state = 'error';
  }
}

start();
