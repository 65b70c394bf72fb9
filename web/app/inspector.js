// @ts-check
// The inspector panel: what the model sees for one face, drawn by Dear ImGui
// (C++, WebGL2) from inspector/facegender_inspector.mjs (wasm-client/inspector).
// app.js imports this file only when the user ticks "Inspector", so the page
// pays nothing for it otherwise.
//
// After each classification main.js calls update(result, fg, source) with
// the library's result (facegender.js). The panel then gets, for the
// selected face (face 1 unless the user picks another in the picture, the
// list, with the arrow keys or the panel's arrows): the model input (the
// 80x80 tensor turned back into gray bytes), the conv feature maps
// (fg.featureMaps: the model's "-features" twin, run on that one face
// only), a probability plot and the stages' times. The probability plot
// starts again for each photo, and for each tracked face of a video.
// Everything stays in the page.

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
   * onSelect(index): the panel's arrows picked a face (the page marks it).
   */
  constructor({ panel, canvas, onSelect }) {
    this.panel = panel;
    this.canvas = canvas;
    this.onSelect = onSelect;
    this.module = null;
    this.loading = null;
    this.open = false;
    this.selected = 0;
    this.last = null;  // {result, classifier, source}: replayed when opened or a face is picked
    this.plotted = null;  // the last result whose timings went into the plots
    this.plottedFace = -1;  // the face of the probability plot's last sample
    this.plottedTrack = null;  // {source, id}: what the probability plot follows
    this.updates = [];  // times of recent updates, for the frame rate
    this.featuresModel = null;  // the features model's path, once the classifier has used it
    this.featuresBusy = false;
    this.featuresPending = null;  // a photo's face picked while busy: run it next
    this.featuresAt = 0;
    this.featuresAgree = null;  // the twin's probabilities equal the classifier's
    this.error = null;
  }

  async load() {
    this.loading ??= (async () => {
      const { default: createInspector } = await import('../inspector/facegender_inspector.mjs');
      // Drawn at the screen's pixel ratio (whole, 1 to 3), shown at CANVAS_SIZE CSS pixels.
      const scale = Math.min(3, Math.max(1, Math.round(window.devicePixelRatio || 1)));
      this.canvas.width = CANVAS_SIZE.width * scale;
      this.canvas.height = CANVAS_SIZE.height * scale;
      const module = await createInspector({ canvas: this.canvas });
      if (!module.start(this.canvas.width, this.canvas.height, scale)) {
        throw new Error('this browser gives the page no WebGL2, which the inspector needs');
      }
      module.onSelectFace = (index) => this.onSelect(index);
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

  /** After each classification (photo, whole image, webcam or video frame). */
  update(result, classifier, source) {
    this.last = { result, classifier, source };
    if (this.open && this.module) this.show(this.last);
  }

  select(index) {
    this.selected = index;
    if (this.open && this.module && this.last) this.show(this.last);
  }

  // Sends one result to the C++ side; the plots advance only the first time
  // a result is shown (not when another face of it is picked).
  show({ result, classifier, source }) {
    const m = this.module;
    const fresh = result !== this.plotted;
    this.plotted = result;
    const count = result.faces.length;
    this.selected = count === 0 ? 0 : Math.min(this.selected, count - 1);
    m.selectFace(this.selected, count);
    const names = classifier.classNames;
    // The probability plot follows one face: a sample per classification;
    // a new photo, another tracked face or another picked face starts it again.
    if (count > 0 && (fresh || this.selected !== this.plottedFace)) {
      const face = result.faces[this.selected];
      const live = source === 'camera' || source === 'video';
      const track = live ? `${source}:${face.id}` : null;
      if (!live || track !== this.plottedTrack || this.selected !== this.plottedFace) m.clearProbability();
      this.plottedTrack = track;
      m.pushProbability(face.probabilities[names[0]], `P(${names[0]}), face ${this.selected + 1}`);
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
    m.setCaption(result.faces[this.selected].text);
    if (!result.input?.tensor) {
      m.setFeaturesNote('The classifier gave no model input for this result.');
      return;
    }
    const side = classifier.spec.crop.input;
    m.setFaceInput(inputBytes(result.input.tensor, side, this.selected, classifier.spec.normalization), side, side);
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
        await classifier.featureMaps(result.input.tensor.slice(index * plane, (index + 1) * plane));
      this.featuresModel = path;
      if (maps.length === 0) {
        m.setFeaturesNote(note);
        return;
      }
      if (probabilities) {
        const theirs = classifier.classNames.map((name) => result.faces[index].probabilities[name]);
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
