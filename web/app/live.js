// @ts-check
// A live picture: the webcam or a local video file, played in a (hidden)
// video element and classified frame by frame through the library's
// watch() loop. One result per frame feeds both the picture and the list.

import { FaceGender } from '../facegender/facegender.js';

/** @typedef {import('../facegender/facegender').Result} Result */
/** @typedef {import('../facegender/facegender').FaceGenderError} FaceGenderError */

export class LiveSource {
  /**
   * @param {{fg: FaceGender, video: HTMLVideoElement, onResult: (result: Result, live: LiveSource) => void,
   *          onError: (error: FaceGenderError) => void}} options
   */
  constructor({ fg, video, onResult, onError }) {
    this.fg = fg;
    this.video = video;
    this.onResult = onResult;
    this.onError = onError;
    /** @type {'camera' | 'video'} */
    this.kind = 'camera';
    this.name = 'webcam';
    /** @type {MediaStream | null} */
    this.stream = null;
    /** @type {string | null} */
    this.objectUrl = null;
    /** @type {import('../facegender/facegender').VideoWatch | null} */
    this.watcher = null;
    this.stopped = false;
  }

  /** The webcam; rejects with the library's camera errors. */
  async startCamera() {
    this.kind = 'camera';
    this.name = 'webcam';
    const stream = await FaceGender.openCamera();
    if (this.stopped) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    this.stream = stream;
    this.video.srcObject = stream;
    await this.play();
  }

  /** A video file from this device, looped. @param {File} file */
  async startFile(file) {
    this.kind = 'video';
    this.name = file.name || 'the video';
    this.objectUrl = URL.createObjectURL(file);
    this.video.srcObject = null;
    this.video.src = this.objectUrl;
    this.video.loop = true;
    try {
      await this.play();
    } catch (error) {
      throw new Error(`“${this.name}” could not be played: this browser cannot decode it, or it is not a video`,
        { cause: error });
    }
  }

  /** @private */
  async play() {
    await this.video.play();
    if (this.stopped) return;
    this.watcher = this.fg.watch(this.video, (result) => this.onResult(result, this), { onError: (error) => this.onError(error) });
  }

  get mirrored() {
    return this.kind === 'camera';
  }

  get paused() {
    return Boolean(this.watcher?.paused);
  }

  /** Freezes the picture (the video pauses too) or goes on. */
  togglePause() {
    if (!this.watcher) return;
    if (this.watcher.paused) {
      this.video.play().catch(() => {});
      this.watcher.resume();
    } else {
      this.watcher.pause();
      this.video.pause();
    }
  }

  stop() {
    this.stopped = true;
    this.watcher?.stop();
    this.stream?.getTracks().forEach((t) => t.stop());
    this.video.pause();
    this.video.srcObject = null;
    this.video.removeAttribute('src');
    this.video.load();
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
  }
}
