// @ts-check
// The facegender page, built on the library's public API only
// (../facegender/facegender.js): photos (file, drop, paste), the webcam and
// video files go through FaceGender; the page shows each face numbered on
// the picture and listed beside it with its crop, label and probabilities.
//
//   view.js      the picture, boxes, tags (layout.js places them)
//   results.js   the list of faces and the JSON download
//   live.js      webcam and video files
//   inspector.js the inspector panel (loaded when first opened)
//   options.js   URL options;  debug.js  window.__facegender for tests

import { FaceGender, FaceGenderError } from '../facegender/facegender.js';
import { debug, installDebug, logFrame, recordResult } from './debug.js';
import { saveBlob } from './download.js';
import { LiveSource } from './live.js';
import { offlineWanted, requestedBackend, requestedThreads } from './options.js';
import { ResultsList, resultRecord } from './results.js';
import { PictureView } from './view.js';

/** @typedef {import('../facegender/facegender').Result} Result */

const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));
const ui = {
  fileInput: $('file-input'), videoInput: $('video-input'), dropZone: $('drop-zone'),
  cameraStart: $('camera-start'), livePause: $('live-pause'), liveStop: $('live-stop'),
  status: $('status'), message: $('message'), noFace: $('no-face'), wholeImage: $('whole-image'),
  keypoints: $('keypoints-toggle'), view: $('view'), stage: $('stage'), stageEmpty: $('stage-empty'),
  video: $('video'), results: $('results'),
  backend: $('backend'), backendChoice: $('backend-choice'), backendNote: $('backend-note'),
  fps: $('fps'), captureMs: $('capture-ms'), detectMs: $('detect-ms'), prepareMs: $('prepare-ms'), inferMs: $('infer-ms'),
  classNames: $('class-names'), modelCardNote: $('model-card-note'), modelCardLink: $('model-card-link'),
  inspectorToggle: $('inspector-toggle'), inspectorPanel: $('inspector-panel'), inspectorCanvas: $('inspector-canvas'),
  downloadPng: $('download-png'), downloadJson: $('download-json'), pasteHint: $('paste-hint'), pasteKeys: $('paste-keys'),
};

const view = new PictureView(ui.view, ui.stage);
const list = new ResultsList(ui.results, (index) => selectFace(index));

const state = {
  /** @type {FaceGender | null} */
  fg: null,
  /** The photo on screen: {result, bitmap, name, source: 'photo' | 'whole-image'} */
  /** @type {{result: Result, bitmap: ImageBitmap, name: string, source: string} | null} */
  photo: null,
  /** @type {LiveSource | null} */
  live: null,
  /** @type {{result: Result, source: string, name: string} | null} what the list and downloads describe */
  shown: null,
  photoToken: 0,  // a newer photo makes older, slower ones drop their result
  /** @type {any} the inspector panel (inspector.js), loaded when first opened */
  inspector: null,
  lastStatusAt: 0,
};

// ---------------------------------------------------------------- messages

/** @param {string} text */
function setStatus(text) {
  ui.status.textContent = text;
}

/** @param {string} text */
function showMessage(text) {
  ui.message.textContent = text;
  ui.message.hidden = false;
  debug.messages.push(text);
}

function clearMessage() {
  ui.message.hidden = true;
  ui.message.textContent = '';
}

// Errors the library words for people are shown as they are.
const USER_ERRORS = new Set(['image', 'source', 'camera-denied', 'camera-not-found', 'camera-busy', 'camera-unsupported', 'camera']);

/** @param {unknown} error @param {string} context */
function reportError(error, context) {
  if (error instanceof FaceGenderError && USER_ERRORS.has(error.code)) {
    const tail = error.code.startsWith('camera') ? ' You can still choose, drop or paste a photo.' : '';
    showMessage(`${error.message}${tail}`);
    return;
  }
  console.error(`facegender: ${context}:`, error);
  const detail = error instanceof Error ? error.message : String(error);
  showMessage(`Something went wrong ${context}: ${detail}. The page still works: try another picture.`);
}

const formatMs = (/** @type {number} */ ms) => `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;

/** @param {Result} result */
function showTimings(result) {
  const { captureMs, detectMs, prepareMs, inferMs } = result.timings;
  ui.captureMs.textContent = captureMs === undefined ? '–' : formatMs(captureMs);
  ui.detectMs.textContent = formatMs(detectMs);
  ui.prepareMs.textContent = formatMs(prepareMs);
  ui.inferMs.textContent = result.faces.length > 0 ? formatMs(inferMs) : '– (no face)';
}

const plural = (/** @type {number} */ n, /** @type {string} */ word) => `${n} ${word}${n === 1 ? '' : 's'}`;

// ---------------------------------------------------------------- faces on screen

/** Marks face `index` in the picture and the list, and shows it in the inspector. @param {number} index */
function selectFace(index) {
  const count = state.shown?.result.faces.length ?? 0;
  if (count === 0) return;
  const i = Math.max(0, Math.min(count - 1, index));
  view.selected = i;
  view.redraw();
  list.mark(i);
  state.inspector?.select(i);
}

/**
 * Shows a result: picture, list, timings, the test hooks, the inspector.
 * @param {Result} result @param {CanvasImageSource} picture @param {{source: string, name: string, mirrored: boolean}} how
 */
function showResult(result, picture, { source, name, mirrored }) {
  state.shown = { result, source, name };
  ui.stageEmpty.hidden = true;
  view.show({ source: picture, width: result.width, height: result.height, faces: result.faces, mirrored });
  if (view.selected < 0 && result.faces.length > 0) view.selected = 0;
  list.show(result.faces, picture, { live: source === 'camera' || source === 'video' });
  list.mark(view.selected);
  showTimings(result);
  recordResult(result, source, name);
  ui.downloadPng.disabled = false;
  ui.downloadJson.disabled = false;
  state.inspector?.update(result, state.fg, source);
}

/** The picture in view when a photo arrives on a small screen. */
function bringPictureIntoView() {
  const rect = ui.stage.getBoundingClientRect();
  if (rect.top < 0 || rect.bottom > window.innerHeight) ui.stage.scrollIntoView({ block: 'start' });
}

// ---------------------------------------------------------------- photos

/** @param {Result} result @param {string} name @param {string} source */
async function showPhoto(result, name, source) {
  const bitmap = await createImageBitmap(/** @type {ImageData} */ (result.image));
  state.photo?.bitmap.close();
  state.photo = { result, bitmap, name, source };
  view.selected = result.faces.length > 0 ? 0 : -1;
  showResult(result, bitmap, { source, name, mirrored: false });
  debug.photosClassified += 1;
}

/** @param {File} file */
async function classifyPhoto(file) {
  const fg = state.fg;
  if (!fg) return;
  stopLive();
  clearMessage();
  const token = ++state.photoToken;
  const name = file.name || 'the pasted image';
  setStatus(`Reading “${name}”…`);
  ui.noFace.hidden = true;
  try {
    const result = await fg.classify(file);
    if (token !== state.photoToken) return;
    await showPhoto(result, name, 'photo');
    ui.fps.textContent = '–';
    const original = /** @type {NonNullable<Result['original']>} */ (result.original);
    const size = original.scaled ? `${original.width}×${original.height}, scaled to ${result.width}×${result.height}`
      : `${result.width}×${result.height}`;
    const count = result.faces.length;
    if (count === 0) {
      setStatus(`No face found in “${name}” (${size}).`);
      ui.noFace.hidden = false;
    } else {
      setStatus(`${plural(count, 'face')} found in “${name}” (${size}), surest first.`);
    }
    bringPictureIntoView();
  } catch (error) {
    if (token !== state.photoToken) return;
    setStatus(state.photo ? 'The previous picture is still shown.' : 'Choose a photo or start the webcam.');
    reportError(error, 'classifying the photo');
  }
}

// The photo on screen again: after a backend switch, or as a whole image.
async function reclassifyPhoto(wholeImage = false) {
  const photo = state.photo;
  if (!state.fg || !photo) return;
  clearMessage();
  try {
    const result = await state.fg.classify(/** @type {ImageData} */ (photo.result.image), { wholeImage });
    if (photo !== state.photo) return;
    await showPhoto(result, photo.name, wholeImage ? 'whole-image' : 'photo');
    if (wholeImage) {
      ui.noFace.hidden = true;
      setStatus(`No face was found in “${photo.name}”: the whole picture was classified as if it were one face, ` +
        'so this label may mean nothing.');
    }
  } catch (error) {
    reportError(error, wholeImage ? 'classifying the whole image' : 'classifying the photo again');
  }
}

/** @param {FileList | null | undefined} files @param {string} kind */
function firstFileOf(files, kind) {
  const all = Array.from(files ?? []);
  return all.find((f) => f.type.startsWith(`${kind}/`)) ?? null;
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
    if (!state.fg) return;
    const files = event.dataTransfer?.files;
    const video = firstFileOf(files, 'video');
    const file = firstFileOf(files, 'image') ?? (video ? null : files?.[0]);
    if (video && !file) startVideo(video);
    else if (file) classifyPhoto(file);
    else showMessage('Drop an image or video file from this device (links and text are not opened).');
  });
  document.addEventListener('paste', (event) => {
    if (!state.fg) return;
    const file = firstFileOf(event.clipboardData?.files, 'image') ?? event.clipboardData?.files?.[0];
    if (file) {
      event.preventDefault();
      classifyPhoto(file);
    } else {
      showMessage('The clipboard holds no image: copy a picture, then paste it here.');
    }
  });
  ui.wholeImage.addEventListener('click', () => reclassifyPhoto(true));
  ui.keypoints.addEventListener('change', () => {
    view.keypoints = ui.keypoints.checked;
    view.redraw();
  });
}

// ---------------------------------------------------------------- webcam and video

function updateLiveButtons() {
  const live = state.live;
  ui.cameraStart.disabled = !state.fg || Boolean(live);
  ui.livePause.disabled = !live;
  ui.liveStop.disabled = !live;
  const paused = Boolean(live?.paused);
  ui.livePause.textContent = paused ? 'Resume' : 'Pause';
  ui.livePause.setAttribute('aria-pressed', String(paused));
}

/** @param {Result} result @param {LiveSource} live */
function onLiveFrame(result, live) {
  if (state.live !== live) return;
  const t1 = performance.now();
  showResult(result, /** @type {CanvasImageSource} */ (result.frame), { source: live.kind, name: live.name, mirrored: live.mirrored });
  debug.framesClassified += 1;
  const frameMs = result.timings.frameMs ?? 0;
  const drawMs = performance.now() - t1;
  logFrame({ start: t1 - frameMs, faces: result.faces.length, fullSearch: result.fullSearch,
    ...result.timings, drawMs, totalMs: frameMs + drawMs });
  if (result.fps) {
    ui.fps.textContent = result.fps.toFixed(1);
    debug.fps = result.fps;
  }
  // The status (read by screen readers) changes at most once a second.
  const now = performance.now();
  if (now - state.lastStatusAt >= 1000) {
    state.lastStatusAt = now;
    const where = live.kind === 'camera' ? 'Webcam on' : `Playing “${live.name}”`;
    setStatus(result.faces.length === 0 ? `${where}: no face in view.` : `${where}: ${plural(result.faces.length, 'face')} in view.`);
  }
}

/** @param {LiveSource} live @param {() => Promise<void>} begin @param {string} what */
async function startLive(live, begin, what) {
  if (!state.fg) return;
  stopLive();
  clearMessage();
  state.live = live;
  state.photoToken += 1;  // a photo still being read must not replace the live picture
  updateLiveButtons();
  try {
    await begin();
  } catch (error) {
    if (state.live === live) stopLive(false);
    reportError(error, `starting ${what}`);
    setStatus(state.photo ? 'The previous picture is still shown.' : 'Choose a photo.');
    ui.cameraStart.focus();
    return;
  }
  if (state.live !== live) return;
  state.photo?.bitmap.close();
  state.photo = null;
  ui.noFace.hidden = true;
  view.selected = -1;
  setStatus(live.kind === 'camera' ? 'Webcam on (mirrored preview). Frames are processed here and never leave this device.'
    : `Playing “${live.name}”. Frames are processed here and never leave this device.`);
  ui.liveStop.focus();
}

function startCamera() {
  const fg = state.fg;
  if (!fg) return;
  setStatus('Asking for the camera…');
  const live = makeLive(fg);
  startLive(live, () => live.startCamera(), 'the webcam');
}

/** @param {File} file */
function startVideo(file) {
  const fg = state.fg;
  if (!fg) return;
  const live = makeLive(fg);
  startLive(live, () => live.startFile(file), `the video “${file.name}”`);
}

/** @param {FaceGender} fg */
function makeLive(fg) {
  const live = new LiveSource({
    fg, video: ui.video, onResult: onLiveFrame,
    onError: (error) => {
      if (state.live !== live) return;
      reportError(error, 'classifying a video frame');
      stopLive();
    },
  });
  return live;
}

function stopLive(announce = true) {
  const live = state.live;
  if (!live) return;
  const hadFocus = ui.liveStop === document.activeElement || ui.livePause === document.activeElement;
  live.stop();
  state.live = null;
  ui.fps.textContent = '–';
  updateLiveButtons();
  if (announce) setStatus(live.kind === 'camera' ? 'Webcam stopped.' : 'Video stopped.');
  if (hadFocus) ui.cameraStart.focus();
}

function setUpLive() {
  ui.cameraStart.addEventListener('click', startCamera);
  ui.videoInput.addEventListener('change', () => {
    const file = ui.videoInput.files?.[0];
    ui.videoInput.value = '';
    if (file) startVideo(file);
  });
  ui.livePause.addEventListener('click', () => {
    state.live?.togglePause();
    updateLiveButtons();
    if (state.live) setStatus(state.live.paused ? 'Paused: the picture is frozen.' : 'Running again.');
  });
  ui.liveStop.addEventListener('click', () => stopLive());
}

// ---------------------------------------------------------------- picking faces, downloads

function setUpPicking() {
  ui.view.addEventListener('click', (/** @type {MouseEvent} */ event) => {
    const index = view.faceAt(event.clientX, event.clientY);
    if (index >= 0) selectFace(index);
  });
  const arrows = (/** @type {KeyboardEvent} */ event) => {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (!step || !state.shown || state.shown.result.faces.length === 0) return;
    event.preventDefault();
    const count = state.shown.result.faces.length;
    selectFace((Math.max(0, view.selected) + step + count) % count);
  };
  ui.view.addEventListener('keydown', arrows);
  ui.inspectorCanvas.addEventListener('keydown', arrows);
}


const stem = (/** @type {string} */ name) => (name.replace(/\.[^.]+$/, '') || 'picture').replace(/[^\w.-]+/g, '_');

function setUpDownloads() {
  ui.downloadPng.addEventListener('click', async () => {
    try {
      saveBlob(await view.annotatedPng(), `${stem(state.shown?.name ?? 'picture')}-faces.png`);
    } catch (error) {
      reportError(error, 'saving the picture');
    }
  });
  ui.downloadJson.addEventListener('click', () => {
    const shown = state.shown;
    const fg = state.fg;
    if (!shown || !fg) return;
    const record = resultRecord(shown.result, { name: shown.name, backend: fg.backendName, model: fg.spec });
    saveBlob(new Blob([`${JSON.stringify(record, null, 2)}\n`], { type: 'application/json' }), `${stem(shown.name)}-faces.json`);
  });
}

// ---------------------------------------------------------------- inspector

// The "Inspector" checkbox: inspector.js and its WebAssembly are loaded the
// first time it is ticked, so the page pays nothing for them otherwise.
async function toggleInspector() {
  try {
    if (!state.inspector) {
      const { Inspector } = await import('./inspector.js');
      state.inspector ??= new Inspector({ panel: ui.inspectorPanel, canvas: ui.inspectorCanvas, onSelect: selectFace });
      debug.inspectorStatus = () => state.inspector.status();
      const shown = state.shown;
      if (shown) {
        state.inspector.update(shown.result, state.fg, shown.source);
        state.inspector.select(Math.max(0, view.selected));
      }
    }
    await state.inspector.setOpen(ui.inspectorToggle.checked);
  } catch (error) {
    ui.inspectorToggle.checked = false;
    state.inspector?.setOpen(false);
    reportError(error, 'opening the inspector');
  }
}

// ---------------------------------------------------------------- backend

// What runs, and why WebGPU does not when it was wanted; the menu shows
// what runs when the wanted backend could not.
function showBackend() {
  const fg = /** @type {FaceGender} */ (state.fg);
  debug.backend = fg.backend;
  debug.backendNote = fg.backendNote;
  debug.threads = fg.threads;
  debug.loadTimings = fg.loadTimings;
  ui.backend.textContent = fg.backendName;
  ui.backendNote.hidden = !fg.backendNote;
  ui.backendNote.textContent = fg.backendNote ? `WebGPU is not used: ${fg.backendNote}.` : '';
  const webgpuOption = ui.backendChoice.querySelector('option[value="webgpu"]');
  if (fg.backendNote && ui.backendChoice.value !== 'auto') {
    ui.backendChoice.value = fg.backend;
    webgpuOption.textContent = 'WebGPU (not available)';
  }
}

async function switchBackend() {
  const fg = state.fg;
  if (!fg) return;
  ui.backendChoice.disabled = true;
  try {
    await fg.setBackend(ui.backendChoice.value, setStatus);
    showBackend();
    setStatus(`Now running on ${fg.backendName}.${fg.backendNote ? ` WebGPU is not used: ${fg.backendNote}.` : ''}`);
    if (state.photo && !state.live) await reclassifyPhoto(state.photo.source === 'whole-image');
  } catch (error) {
    reportError(error, 'switching the backend');
  } finally {
    ui.backendChoice.disabled = false;
  }
}

// ---------------------------------------------------------------- start

// Hints that apply here: no paste shortcut on a touch screen; ⌘V on a Mac.
function adaptHints() {
  const touch = window.matchMedia('(pointer: coarse)').matches && !window.matchMedia('(pointer: fine)').matches;
  ui.pasteHint.hidden = touch;
  if (/Mac|iPhone|iPad/.test(navigator.platform)) ui.pasteKeys.textContent = '⌘V';
  if (touch) document.getElementById('drop-hint')?.setAttribute('hidden', '');
}

// After one visit the page, its library and model work offline (sw.js).
async function registerOffline() {
  if (!offlineWanted || !('serviceWorker' in navigator)) {
    debug.offline = offlineWanted ? 'unsupported' : 'off';
    return;
  }
  try {
    await navigator.serviceWorker.register('./sw.js');
    await navigator.serviceWorker.ready;
    debug.offline = 'ready';
  } catch (error) {
    debug.offline = `failed: ${error instanceof Error ? error.message : error}`;
    console.warn('facegender: no offline copy:', error);
  }
}

async function start() {
  installDebug();
  adaptHints();
  setUpPhotoInputs();
  setUpLive();
  setUpPicking();
  setUpDownloads();
  ui.inspectorToggle.addEventListener('change', toggleInspector);
  ui.backendChoice.value = requestedBackend();
  ui.backendChoice.addEventListener('change', switchBackend);
  try {
    const fg = await FaceGender.load({ backend: ui.backendChoice.value, threads: requestedThreads(), onProgress: setStatus });
    state.fg = fg;
    showBackend();
    ui.backendChoice.disabled = false;
    debug.classNames = fg.classNames;
    ui.classNames.textContent = fg.classNames.join(', ');
    if (fg.modelCardUrl) {
      ui.modelCardLink.href = fg.modelCardUrl;
      ui.modelCardNote.hidden = false;
    }
    ui.fileInput.disabled = false;
    ui.videoInput.disabled = false;
    updateLiveButtons();
    setStatus(`Ready. Choose a photo or start the webcam.${fg.backendNote ? ` (WebGPU is not used: ${fg.backendNote}.)` : ''}`);
    debug.state = 'ready';
    document.body.dataset.state = 'ready';
  } catch (error) {
    console.error('facegender: loading failed:', error);
    showMessage(`The page could not load its face finder or model: ${error instanceof Error ? error.message : error}`);
    setStatus('Not available.');
    debug.state = 'error';
    document.body.dataset.state = 'error';
    return;
  }
  registerOffline();
}

start();
