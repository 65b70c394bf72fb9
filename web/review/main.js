// @ts-check
// The review page: open a folder of photos, let the model suggest labels,
// decide them by keyboard, export what `facegender prepare` reads.
//
//   folder.js     the folder's layout and given labels (pure)
//   decisions.js  states, filters, the order by need, the keys (pure)
//   export.js     the labels CSV and the seed layout (pure)
//   store.js      decisions and undo in IndexedDB
//   open.js       folder picker / folder input, writing into the folder
//   scoring.js    batches to review-worker.js, progress and ETA
//   grid.js       the thumbnails, a page at a time, and the large view

import { defaultOrtThreads } from '../facegender/settings.js';
import { saveBlob } from '../app/download.js';
import { requestedBackend, requestedThreads } from '../app/options.js';
import { FILTERS, byNeed, decisionKeys, tally } from './decisions.js';
import { formatLabelRows, labelsCsv, labelRows, seedLayoutPlan } from './export.js';
import { REVIEW_LABELS_FILE, readLayout, reviewedDecisions } from './folder.js';
import { PAGE_SIZE, ReviewGrid, largeWords } from './grid.js';
import { canPickFolder, folderFromHandle, folderFromInput, mayWrite, writeInto } from './open.js';
import { durationText, loadScorer, scoreAll, workerTimings } from './scoring.js';
import { DecisionStore } from './store.js';

/** @typedef {import('./decisions.js').Photo} Photo */

const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));
const ui = {
  pickFolder: $('pick-folder'), folderInput: $('folder-input'), folderInputLabel: $('folder-input-label'),
  status: $('status'), message: $('message'), progressRow: $('progress-row'), progress: $('progress'),
  progressText: $('progress-text'), tools: $('tools'), filter: $('filter'), resort: $('resort'), undo: $('undo'),
  saveCsv: $('save-csv'), exportFolders: $('export-folders'), summary: $('summary'), keysHelp: $('keys-help'),
  gridSection: $('grid-section'), grid: $('grid'), prevPage: $('prev-page'), nextPage: $('next-page'),
  pageText: $('page-text'), large: $('large'), largeTitle: $('large-title'), largeImage: $('large-image'),
  largeText: $('large-text'), largeClose: $('large-close'),
};

const state = {
  /** @type {any} the worker's handle and what it loaded */
  scorer: null,
  /** @type {DecisionStore | null} */
  store: null,
  /** @type {string[]} */
  classNames: [],
  /** @type {Map<string, string>} key -> decision */
  keys: new Map(),
  /** @type {import('./open.js').OpenedFolder | null} */
  folder: null,
  /** @type {Map<string, File>} the open folder's files by path */
  fileOf: new Map(),
  layout: '',
  /** @type {Photo[]} in the folder's path order */
  photos: [],
  /** @type {Map<string, Photo[]>} SHA-256 -> the photos with those bytes */
  byHash: new Map(),
  /** @type {Map<string, string>} the stored decisions, applied as photos are read */
  stored: new Map(),
  /** @type {Photo[]} the photos by need (frozen once the visitor starts deciding) */
  order: [],
  /** @type {Photo[]} order through the filter */
  view: [],
  cursor: 0,
  /** The order stays put while a person works through it; "Sort again" re-sorts. */
  frozen: false,
  /** @type {Map<number, string>} photo index -> thumbnail URL */
  thumbs: new Map(),
  folderToken: 0,
  scoring: false,
  canWrite: false,
  /** @type {ReturnType<typeof setTimeout> | null} */
  writeTimer: null,
  /** @type {string} what the last write into the folder said */
  lastWrite: '',
};

const grid = new ReviewGrid(ui.grid, (position) => {
  state.cursor = position;
  render();
  ui.grid.focus();
});

// ---------------------------------------------------------------- messages

/** @param {string} text */
function setStatus(text) {
  ui.status.textContent = text;
}

/** @param {string} text */
function showMessage(text) {
  ui.message.textContent = text;
  ui.message.hidden = !text;
}

// ---------------------------------------------------------------- drawing

function refreshView() {
  const keep = FILTERS[/** @type {keyof typeof FILTERS} */ (ui.filter.value)] ?? FILTERS.all;
  state.view = state.order.filter((p) => keep(p, state.classNames));
  state.cursor = Math.min(state.cursor, Math.max(0, state.view.length - 1));
}

function render() {
  const { first, last } = grid.render(state.view, state.cursor, state.classNames, state.thumbs);
  const pages = Math.max(1, Math.ceil(state.view.length / PAGE_SIZE));
  const page = Math.floor(state.cursor / PAGE_SIZE) + 1;
  ui.pageText.textContent = state.view.length === 0 ? 'no photos in this view'
    : `photos ${first + 1}–${last} of ${state.view.length} · page ${page} of ${pages}`;
  ui.prevPage.disabled = page <= 1;
  ui.nextPage.disabled = page >= pages;
  const c = tally(state.photos, state.classNames);
  ui.summary.textContent = `${c.photos} photos (${state.layout}), ${c.scored} read: ` +
    `${c.contradicted} the model contradicts, ${c.unsure} it is unsure of, ${c.flagged} flagged` +
    `${c.unreadable ? ` (${c.unreadable} unreadable)` : ''}. Decided: ${c.confirmed} kept, ${c.changed} changed, ` +
    `${c.labelled} newly labelled, ${c.ambiguous} ambiguous, ${c.unusable} not usable; ${c.unreviewed} to go.` +
    `${state.lastWrite ? ` ${state.lastWrite}` : ''}`;
}

/** Re-sorts by need (when the order is not frozen, or when asked), keeping the selected photo. */
function sortPhotos(force = false) {
  if (state.frozen && !force) {
    // Photos read since the order froze go after it, in reading order.
    const placed = new Set(state.order);
    state.order.push(...state.photos.filter((p) => p.scored && !placed.has(p)));
    ui.resort.hidden = false;
    return;
  }
  const selected = state.view[state.cursor];
  state.order = byNeed(state.photos);
  refreshView();
  // Until the first decision the selection stays on the photo that needs a person most.
  const at = selected && state.frozen ? state.view.indexOf(selected) : 0;
  state.cursor = force ? 0 : Math.max(0, at);
  ui.resort.hidden = true;
}

function showKeys() {
  const names = [...state.keys].map(([key, decision]) => `${key} ${decision}`).join(', ');
  ui.keysHelp.textContent = `Keys: ${names}; u undo; arrows move; Enter or Space shows the photo large; ` +
    'Page Up / Page Down change pages. Deciding moves on to the next photo.';
}

// ---------------------------------------------------------------- opening and reading

/**
 * Shows a folder's photos and starts reading them.
 * @param {import('./open.js').OpenedFolder} folder
 */
async function openFolder(folder) {
  state.folderToken += 1;
  const token = state.folderToken;
  showMessage('');
  for (const url of state.thumbs.values()) URL.revokeObjectURL(url);
  state.thumbs.clear();
  let layout;
  try {
    layout = readLayout(folder.files.map((f) => f.path), state.classNames, folder.csv);
  } catch (error) {
    showMessage(/** @type {Error} */ (error).message);
    return;
  }
  state.folder = folder;
  state.fileOf = new Map(folder.files.map((f) => [f.path, f.file]));
  state.layout = layout.csv ? `labels from ${layout.csv}` : `${layout.layout} layout`;
  state.photos = layout.photos.map((p, index) => ({ ...p, index, scored: false, decision: null }));
  state.byHash = new Map();
  // This browser's decisions, and where it has none for a photo, those in the
  // labels.reviewed.csv the page wrote into the folder (storage cleared,
  // another browser).
  const fromFile = folder.reviewed ? reviewedDecisions(folder.reviewed, state.classNames) : new Map();
  state.stored = new Map([...fromFile, ...(state.store ? await state.store.all() : [])]);
  state.frozen = false;
  state.cursor = 0;
  state.lastWrite = '';
  state.canWrite = folder.handle ? await mayWrite(folder.handle) : false;
  sortPhotos();
  ui.tools.hidden = false;
  ui.gridSection.hidden = false;
  ui.saveCsv.disabled = false;
  ui.exportFolders.disabled = false;
  if (layout.problems > 0) {
    const first = layout.photos.find((p) => p.note);
    showMessage(`${layout.problems} label${layout.problems === 1 ? '' : 's'} not understood, e.g. ${first?.path}: ${first?.note}`);
  }
  render();
  ui.grid.focus();
  await readPhotos(token);
}

/**
 * Reads and scores the open folder's photos in the workers.
 * @param {number} token
 */
async function readPhotos(token) {
  const items = state.photos.map((p) => ({ index: p.index, file: /** @type {File} */ (state.fileOf.get(p.path)), path: p.path }));
  const total = items.length;
  state.scoring = true;
  document.body.dataset.state = 'reading';
  ui.progressRow.hidden = false;
  ui.progress.max = Math.max(1, total);
  setStatus(`Reading ${total} photos…`);
  let lastDraw = 0;
  try {
    await scoreAll(state.scorer.clients, items, (results, progress) => {
      if (token !== state.folderToken) return;
      results.forEach(applyResult);
      ui.progress.value = progress.done;
      ui.progressText.textContent = `${progress.done} of ${total} photos read · ${progress.rate.toFixed(1)} photos/s · ` +
        `about ${durationText(progress.etaSeconds)} left`;
      // Redraw a few times a second, not per batch: sorting 10,000 photos costs a few ms.
      if (performance.now() - lastDraw > 400 || progress.done === total) {
        lastDraw = performance.now();
        sortPhotos();
        render();
        performance.measure('review-redraw', { start: lastDraw });
      }
    }, () => token !== state.folderToken);
  } catch (error) {
    showMessage(`Reading the photos failed: ${/** @type {Error} */ (error).message}`);
  }
  if (token !== state.folderToken) return;
  state.scoring = false;
  document.body.dataset.state = 'ready';
  const c = tally(state.photos, state.classNames);
  setStatus(`Read ${c.scored} photos from ${state.folder?.name}: ${c.contradicted} the model contradicts, ` +
    `${c.unsure} it is unsure of, ${c.flagged} flagged${c.unreadable ? `, ${c.unreadable} unreadable` : ''}.`);
  sortPhotos();
  render();
}

/** @param {any} result the worker's reading of one photo */
function applyResult(result) {
  const photo = state.photos[result.index];
  Object.assign(photo, {
    scored: true, sha256: result.sha256, split: result.split, error: result.error, issue: result.issue,
    detail: result.detail, probabilities: result.probabilities ?? null,
  });
  if (result.thumb) state.thumbs.set(photo.index, URL.createObjectURL(result.thumb));
  if (!photo.sha256) return;
  const same = state.byHash.get(photo.sha256) ?? [];
  same.push(photo);
  state.byHash.set(photo.sha256, same);
  photo.decision = state.stored.get(photo.sha256) ?? null;
}

// ---------------------------------------------------------------- deciding

/**
 * Sets the decision of every photo with these bytes.
 * @param {string} sha256
 * @param {string | null} decision
 */
function applyDecision(sha256, decision) {
  for (const photo of state.byHash.get(sha256) ?? []) photo.decision = decision;
  if (decision === null) state.stored.delete(sha256);
  else state.stored.set(sha256, decision);
}

/** @param {string} decision */
async function decide(decision) {
  const photo = state.view[state.cursor];
  if (!photo) return;
  if (!photo.sha256) {
    showMessage(`${photo.path} has not been read yet: it can be decided once it has.`);
    return;
  }
  showMessage('');
  state.frozen = true;
  applyDecision(photo.sha256, decision);
  const stays = FILTERS[/** @type {keyof typeof FILTERS} */ (ui.filter.value)](photo, state.classNames);
  if (stays) state.cursor = Math.min(state.cursor + 1, state.view.length - 1);
  refreshView();
  render();
  // Deciding in the large view goes on to the next photo there.
  if (ui.large.open) showLarge();
  try {
    await state.store?.decide(photo.sha256, photo.path, decision);
    ui.undo.disabled = false;
  } catch (error) {
    showMessage(`The decision for ${photo.path} could not be kept in this browser: ${/** @type {Error} */ (error).message}`);
  }
  scheduleWrite();
}

async function undo() {
  const change = await state.store?.undo();
  if (!change) {
    showMessage('Nothing to undo.');
    ui.undo.disabled = true;
    return;
  }
  applyDecision(change.sha256, change.decision);
  refreshView();
  const photo = state.view.find((p) => p.sha256 === change.sha256);
  if (photo) state.cursor = state.view.indexOf(photo);
  setStatus(`Undone: ${change.path} is ${change.decision ?? 'undecided'} again.`);
  render();
  ui.undo.disabled = (await state.store?.changeCount()) === 0;
  scheduleWrite();
}

// ---------------------------------------------------------------- keys

/** @param {number} position */
function moveTo(position) {
  if (state.view.length === 0) return;
  state.cursor = Math.max(0, Math.min(state.view.length - 1, position));
  render();
}

/** Tiles per row in the grid as laid out now. */
function columns() {
  const tiles = [...ui.grid.children];
  const top = tiles[0]?.offsetTop;
  const count = tiles.filter((t) => t.offsetTop === top).length;
  return Math.max(1, count);
}

const MOVES = {
  ArrowLeft: () => -1, ArrowRight: () => 1, h: () => -1, l: () => 1,
  ArrowUp: () => -columns(), ArrowDown: () => columns(), k: () => -columns(), j: () => columns(),
  PageUp: () => -PAGE_SIZE, PageDown: () => PAGE_SIZE,
};

/** @param {KeyboardEvent} event */
function onKey(event) {
  if (event.altKey || state.view.length === 0 && !['u', 'z'].includes(event.key)) return;
  const target = /** @type {HTMLElement} */ (event.target);
  if (['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName)) return;
  if (target.tagName === 'BUTTON' && (event.key === 'Enter' || event.key === ' ')) return;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const undoKey = key === 'u' || ((event.ctrlKey || event.metaKey) && key === 'z');
  if ((event.ctrlKey || event.metaKey) && !undoKey) return;
  let handled = true;
  if (undoKey) undo();
  else if (state.keys.has(key)) decide(/** @type {string} */ (state.keys.get(key)));
  else if (key in MOVES) moveTo(state.cursor + MOVES[/** @type {keyof typeof MOVES} */ (key)]());
  else if (key === 'Home') moveTo(0);
  else if (key === 'End') moveTo(state.view.length - 1);
  else if (key === 'Enter' || key === ' ') toggleLarge();
  else handled = false;
  if (handled) event.preventDefault();
}

// ---------------------------------------------------------------- the large view

let largeUrl = '';

function toggleLarge() {
  if (ui.large.open) ui.large.close();
  else showLarge();
}

/** The selected photo in the large view (opened if it is not). */
function showLarge() {
  const photo = state.view[state.cursor];
  if (!photo || !state.folder) return;
  const file = state.fileOf.get(photo.path);
  if (largeUrl) URL.revokeObjectURL(largeUrl);
  largeUrl = file ? URL.createObjectURL(file) : '';
  const words = largeWords(photo, state.classNames);
  ui.largeTitle.textContent = words.title;
  ui.largeImage.src = largeUrl;
  ui.largeImage.alt = `${photo.path}, labelled ${words.label ?? 'nothing yet'}`;
  ui.largeText.textContent = words.text;
  if (!ui.large.open) ui.large.showModal();
}

// ---------------------------------------------------------------- saving and exporting

function scheduleWrite() {
  if (!state.canWrite || !state.folder?.handle) return;
  if (state.writeTimer) clearTimeout(state.writeTimer);
  state.writeTimer = setTimeout(writeLabelsFile, 500);
}

/** Writes labels.reviewed.csv into the open folder (replaced whole, never half written). */
async function writeLabelsFile() {
  state.writeTimer = null;
  const folder = state.folder;
  if (!folder?.handle) return;
  try {
    await writeInto(folder.handle, REVIEW_LABELS_FILE, labelsCsv(state.photos, state.classNames));
    state.lastWrite = `Saved to ${REVIEW_LABELS_FILE} in the folder at ${new Date().toLocaleTimeString()}.`;
  } catch (error) {
    state.lastWrite = `Could not write ${REVIEW_LABELS_FILE} into the folder (${/** @type {Error} */ (error).message}); ` +
      'the decisions are kept in this browser: save the CSV instead.';
  }
  render();
}

function saveCsv() {
  const { rows, left } = labelRows(state.photos, state.classNames);
  saveBlob(new Blob([formatLabelRows(rows)], { type: 'text/csv' }), REVIEW_LABELS_FILE);
  setStatus(`Saved ${rows.length} labels as ${REVIEW_LABELS_FILE} (left out: ${left.unusable} not usable, ` +
    `${left.unreadable} unreadable, ${left.unlabelled} with no label). Put it in the photos' folder and run ` +
    `facegender prepare --labels ${REVIEW_LABELS_FILE} --label-column label --classes ${state.classNames.join(',')} --ambiguous-label ambiguous --out DATASET`);
}

async function exportFolders() {
  if (state.scoring) {
    showMessage('Wait until every photo is read: the layout needs each photo\'s split.');
    return;
  }
  let target;
  try {
    target = await /** @type {any} */ (window).showDirectoryPicker({ id: 'facegender-export', mode: 'readwrite' });
  } catch {
    return;  // the visitor closed the picker
  }
  await exportInto(target);
}

/**
 * Copies the labelled photos into `target` in the seed's layout.
 * @param {FileSystemDirectoryHandle} target
 */
async function exportInto(target) {
  const plan = seedLayoutPlan(state.photos, state.classNames);
  try {
    for (const [i, { photo, target: name }] of plan.entries()) {
      await writeInto(target, name, /** @type {File} */ (state.fileOf.get(photo.path)));
      if (i % 50 === 0) setStatus(`Exporting: ${i + 1} of ${plan.length} photos…`);
    }
    setStatus(`Exported ${plan.length} photos into ${target.name} as Train/, Eval/ and ambiguous/: ` +
      `facegender prepare ${target.name} --classes ${state.classNames.join(',')} --out DATASET`);
  } catch (error) {
    showMessage(`Exporting into ${target.name} failed: ${/** @type {Error} */ (error).message}`);
  }
}

// ---------------------------------------------------------------- start

function wire() {
  ui.folderInput.addEventListener('change', async () => {
    if (ui.folderInput.files.length === 0) return;
    performance.mark('review-folder-chosen');
    await openFolder(await folderFromInput(ui.folderInput.files));
  });
  // Emptied when clicked, not after reading: letting go of 10,000 File
  // objects takes the browser a while, and this way the same folder chosen
  // again still counts as a change.
  ui.folderInput.addEventListener('click', () => {
    ui.folderInput.value = '';
  });
  ui.pickFolder.addEventListener('click', async () => {
    let handle;
    try {
      handle = await /** @type {any} */ (window).showDirectoryPicker({ id: 'facegender-review', mode: 'readwrite' });
    } catch {
      return;
    }
    setStatus(`Listing ${handle.name}…`);
    await openFolder(await folderFromHandle(handle, (count) => setStatus(`Listing ${handle.name}: ${count} files…`)));
  });
  ui.filter.addEventListener('change', () => {
    state.cursor = 0;
    refreshView();
    render();
  });
  ui.resort.addEventListener('click', () => {
    sortPhotos(true);
    render();
  });
  ui.undo.addEventListener('click', () => undo());
  ui.saveCsv.addEventListener('click', saveCsv);
  ui.exportFolders.addEventListener('click', exportFolders);
  ui.prevPage.addEventListener('click', () => moveTo(state.cursor - PAGE_SIZE));
  ui.nextPage.addEventListener('click', () => moveTo(state.cursor + PAGE_SIZE));
  ui.largeClose.addEventListener('click', () => ui.large.close());
  document.addEventListener('keydown', onKey);
}

// What the browser test and the benchmark read (and how they open a folder handle).
function installDebug() {
  /** @type {any} */ (window).__review = {
    counts: () => tally(state.photos, state.classNames),
    order: () => state.view.map((p) => p.path),
    cursor: () => state.cursor,
    select: moveTo,
    timings: () => ({ ...workerTimings }),
    workers: () => state.scorer?.clients.length ?? 0,
    issues: () => state.photos.reduce((/** @type {Record<string, number>} */ n, p) => {
      const key = p.error ? 'unreadable' : p.issue ?? 'unread';
      n[key] = (n[key] ?? 0) + 1;
      return n;
    }, {}),
    photo: (/** @type {string} */ path) => state.photos.find((p) => p.path === path),
    scoring: () => state.scoring,
    classNames: () => state.classNames.slice(),
    openHandle: async (/** @type {FileSystemDirectoryHandle} */ handle) => openFolder(await folderFromHandle(handle)),
    exportInto,
    forget: () => state.store?.clear(),
  };
}

async function start() {
  wire();
  installDebug();
  try {
    const [scorer, store] = await Promise.all([
      loadScorer(setStatus, { backend: requestedBackend(), threads: requestedThreads() ?? defaultOrtThreads(), model: null }),
      DecisionStore.open().catch((error) => {
        showMessage(`This browser keeps no storage for the page (${error.message}): decisions last only until a reload.`);
        return null;
      }),
    ]);
    state.scorer = scorer;
    state.store = store;
    state.classNames = scorer.classNames;
    state.keys = decisionKeys(state.classNames);
    ui.undo.disabled = !store || (await store.changeCount()) === 0;
  } catch (error) {
    document.body.dataset.state = 'error';
    setStatus('The page could not load its face finder or model.');
    showMessage(/** @type {Error} */ (error).message);
    return;
  }
  showKeys();
  ui.folderInput.disabled = false;
  if (canPickFolder()) {
    ui.pickFolder.hidden = false;
    ui.pickFolder.disabled = false;
    ui.exportFolders.hidden = false;
    ui.folderInputLabel.textContent = 'Choose a folder (read only)…';
  }
  document.body.dataset.state = 'ready';
  const readers = state.scorer.clients.length;
  setStatus(`Ready (${state.scorer.backendName}; ${readers} worker${readers === 1 ? '' : 's'} reading photos). ` +
    'Open a folder of photos.');
}

start();
