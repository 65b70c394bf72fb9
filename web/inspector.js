// The inspector panel: what the model sees for one face, drawn by Dear ImGui
// (C++, WebGL2) from inspector/facegender_inspector.mjs (wasm-client/inspector).
// app.js imports this file only when the user ticks "Inspector", so the page
// pays nothing for it otherwise.
//
// After each classification app.js calls update(result, classifier, source).
// The panel then gets, for the selected face (largest first, face 0 unless
// the user picks another by clicking its box or with the arrows in the
// panel): the model input (the 80x80 tensor turned back into gray bytes),
// the conv feature maps (classifier.featureMaps: the model's "-features"
// twin, run on that one face only), a probability plot and the stages'
// times. Everything stays in the page.

const CANVAS_SIZE = Object.freeze({ width: 440, height: 880 });
// While the webcam runs, feature maps are computed at most this often.
const CAMERA_FEATURES_INTERVAL_MS = 250;

/**
 * Face `index` of a normalised N x 1 x S x S tensor back to S*S gray bytes:
 * v = (x/255 - mean)/std  =>  x = 255 (v std + mean).
 */
export function inputBytes(tensor, side, index, { mean, std }) {
  const plane = side * side;
  const values = tensor.subarray(index * plane, (index + 1) * plane);
  const bytes = new Uint8Array(plane);
  for (let i = 0; i < plane; i += 1) bytes[i] = Math.min(255, Math.max(0, Math.round((values[i] * std + mean) * 255)));
  return bytes;
}

export class Inspector {
  /**
   * panel: the element shown while open; canvas: where ImGui draws;
   * view: the page's picture canvas (a click on a face box selects it).
   */
  constructor({ panel, canvas, view }) {
    this.panel = panel;
    this.canvas = canvas;
    this.view = view;
    this.module = null;
    this.loading = null;
    this.open = false;
    this.selected = 0;
    this.last = null;  // {result, classifier, source}: replayed when opened or a face is picked
    this.plotted = null;  // the last result whose timings went into the plots
    this.plottedFace = -1;  // the face of the probability plot's last sample
    this.updates = [];  // times of recent updates, for the frame rate
    this.featuresModel = null;  // the features model's path, once the classifier has used it
    this.featuresBusy = false;
    this.featuresPending = null;  // a photo's face picked while busy: run it next
    this.featuresAt = 0;
    this.featuresAgree = null;  // the twin's probabilities equal the classifier's
    this.error = null;
    view.addEventListener('click', (event) => this.onViewClick(event));
  }

  async load() {
    this.loading ??= (async () => {
      const { default: createInspector } = await import('./inspector/facegender_inspector.mjs');
      this.canvas.width = CANVAS_SIZE.width;
      this.canvas.height = CANVAS_SIZE.height;
      const module = await createInspector({ canvas: this.canvas });
      if (!module.start(CANVAS_SIZE.width, CANVAS_SIZE.height)) {
        throw new Error('this browser gives the page no WebGL2, which the inspector needs');
      }
      module.onSelectFace = (index) => this.select(index);
      this.module = module;
    })();
    return this.loading;
  }

  /** Shows or hides the panel; the first show loads the module. */
  async setOpen(open) {
    this.open = open;
    this.panel.hidden = !open;
    document.body.classList.toggle('inspecting', open);
    if (!open) {
      this.module?.setActive(false);
      return;
    }
    try {
      await this.load();
    } catch (error) {
      this.error = String(error?.message ?? error);
      this.loading = null;  // the next tick tries again
      throw error;
    }
    if (!this.open) return;
    this.module.setActive(true);
    if (this.last) this.show(this.last);
  }

  /** After each classification (photo, whole image or webcam frame). */
  update(result, classifier, source) {
    this.last = { result, classifier, source };
    if (this.open && this.module) this.show(this.last);
  }

  select(index) {
    this.selected = index;
    if (this.open && this.module && this.last) this.show(this.last);
  }

  // A click on the picture selects the smallest face box under the pointer.
  onViewClick(event) {
    if (!this.open || !this.last) return;
    const rect = this.view.getBoundingClientRect();
    let x = ((event.clientX - rect.left) / rect.width) * this.view.width;
    const y = ((event.clientY - rect.top) / rect.height) * this.view.height;
    if (this.last.source === 'camera') x = this.view.width - x;  // the preview is mirrored
    let best = -1;
    this.last.result.boxes.forEach((b, i) => {
      const inside = x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height;
      if (inside && (best < 0 || b.width * b.height < this.last.result.boxes[best].width * this.last.result.boxes[best].height)) best = i;
    });
    if (best >= 0) this.select(best);
  }

  // Sends one result to the C++ side; the plots advance only the first time
  // a result is shown (not when another face of it is picked).
  show({ result, classifier, source }) {
    const m = this.module;
    const fresh = result !== this.plotted;
    this.plotted = result;
    const count = result.boxes.length;
    this.selected = count === 0 ? 0 : Math.min(this.selected, count - 1);
    m.selectFace(this.selected, count);
    const names = classifier.classNames;
    // The probability plot follows the selected face: a sample per
    // classification, and one when another face is picked.
    if (count > 0 && (fresh || this.selected !== this.plottedFace)) {
      m.pushProbability(result.probabilities[this.selected][0], `P(${names[0]}), face ${this.selected + 1}`);
      this.plottedFace = this.selected;
    }
    if (fresh) {
      const now = performance.now();
      this.updates.push(now);
      while (this.updates[0] < now - 2000) this.updates.shift();
      // A rate only while frames keep coming (the webcam), not for one photo.
      const span = now - this.updates[0];
      const fps = this.updates.length >= 3 && span > 0 ? ((this.updates.length - 1) * 1000) / span : 0;
      const t = result.timings ?? {};
      m.pushFrame(t.detectMs ?? Number.NaN, t.prepareMs ?? Number.NaN, count > 0 ? t.inferMs : Number.NaN, fps);
    }
    if (count === 0) return;
    m.setCaption(result.labels[this.selected]);
    if (!result.tensor) {
      m.setFeaturesNote('The classifier gave no model input for this result.');
      return;
    }
    const side = classifier.spec.crop.input;
    m.setFaceInput(inputBytes(result.tensor, side, this.selected, classifier.spec.normalization), side, side);
    this.runFeatures(result, classifier, source);
  }

  // Runs the features model on the selected face only, one run at a time
  // and, for the webcam, at most every CAMERA_FEATURES_INTERVAL_MS.
  async runFeatures(result, classifier, source) {
    if (this.featuresBusy) {
      if (source !== 'camera') this.featuresPending = { result, classifier, source };
      return;
    }
    const now = performance.now();
    if (source === 'camera' && now - this.featuresAt < CAMERA_FEATURES_INTERVAL_MS) return;
    this.featuresBusy = true;
    this.featuresAt = now;
    const m = this.module;
    const index = this.selected;
    try {
      const side = classifier.spec.crop.input;
      const plane = side * side;
      const { path, note, maps, probabilities } =
        await classifier.featureMaps(result.tensor.slice(index * plane, (index + 1) * plane));
      this.featuresModel = path;
      if (maps.length === 0) {
        m.setFeaturesNote(note);
        return;
      }
      if (probabilities) {
        const theirs = result.probabilities[index];
        this.featuresAgree = theirs.every((p, k) => Math.abs(p - probabilities[k]) <= 1e-4);
      }
      if (index === this.selected) {
        for (const map of maps) m.setFeatureMaps(map.name, map.data, map.channels, map.height, map.width);
      }
    } catch (error) {
      console.error('facegender: inspector feature maps:', error);
      m.clearFeatureMaps();
      m.setFeaturesNote(`Feature maps failed: ${error?.message ?? error}`);
    } finally {
      this.featuresBusy = false;
    }
    const pending = this.featuresPending;
    this.featuresPending = null;
    if (pending) this.runFeatures(pending.result, pending.classifier, pending.source);
  }

  /** For window.__facegender.inspector: read from the C++ side. */
  status() {
    const m = this.module;
    return {
      open: this.open,
      ready: Boolean(m?.ready()),
      error: this.error,
      frames: m ? m.framesPushed() : 0,
      framesDrawn: m ? m.framesDrawn() : 0,
      idle: m ? m.idle() : false,
      selectedFace: m ? m.selectedFace() : null,
      faceCount: m ? m.faceCount() : 0,
      inputChecksum: m ? m.inputChecksum() : null,
      inputSize: m ? [m.inputWidth(), m.inputHeight()] : null,
      featureLayers: m ? m.featureLayerCount() : 0,
      featuresNote: m ? m.featuresNote() : null,  // shown instead of feature maps, if any
      featuresModel: this.featuresModel ?? null,
      featuresAgree: this.featuresAgree,
    };
  }
}
