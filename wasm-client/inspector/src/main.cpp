// The facegender inspector: Dear ImGui on Emscripten's GLFW and WebGL2, in a
// canvas the page gives the module factory (`createInspector({canvas})`).
// It shows what the model sees for the selected face (the 80x80 gray input),
// the conv layers' feature maps, the probability over time and the per-stage
// latency and frame rate. The page (web/inspector.js) pushes the data through
// the small embind API at the end of this file: plain numbers, strings and
// typed arrays; no ImGui type reaches JS.
//
// It draws only when something changed: after new data (at most
// kMaxDataFps times a second: the webcam may send more), and for a short
// while after mouse input. Otherwise each animation frame returns at once, so
// an open inspector costs the page next to nothing between classifications.
#include <GLES3/gl3.h>
#include <GLFW/glfw3.h>
#include <emscripten.h>
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "backends/imgui_impl_glfw.h"
#include "backends/imgui_impl_opengl3.h"
#include "imgui.h"
#include "inspector_state.hpp"

using emscripten::val;

// JavaScript bodies: clang-format would break their operators.
// clang-format off

// Calls Module.onSelectFace(index) when the user picks another face in the
// inspector, so that the page can send that face's data: as a microtask, once
// the frame being drawn is done (the page answers with calls into this module).
EM_JS(void, fg_notify_selection, (int index), {
  queueMicrotask(function() {
    if (typeof Module['onSelectFace'] === 'function') Module['onSelectFace'](index);
  });
});

// Emscripten's GLFW listens for keys on the whole window and cancels Tab and
// Backspace there, and cancels wheel events over the canvas: that would
// break keyboard navigation and scrolling everywhere on the page. The
// inspector takes no keyboard input and never scrolls, so those listeners
// are removed again right after glfwInit() adds them.
EM_JS(int, fg_release_page_input, (), {
  if (typeof GLFW === 'undefined' || !GLFW.onKeydown) return 0;
  window.removeEventListener('keydown', GLFW.onKeydown, true);
  window.removeEventListener('keypress', GLFW.onKeyPress, true);
  window.removeEventListener('keyup', GLFW.onKeyup, true);
  Module['canvas'].removeEventListener('wheel', GLFW.onMouseWheel, true);
  Module['canvas'].removeEventListener('mousewheel', GLFW.onMouseWheel, true);
  return 1;
});

// clang-format on

namespace {

namespace ins = facegender::inspector;

constexpr std::size_t kHistory = 240;  // samples kept per plot
constexpr int kInputScale = 2;         // the 80x80 input is shown at 160x160
constexpr int kRedrawAfterInput = 20;  // frames drawn after a mouse event
constexpr double kMaxDataFps = 15.0;   // draws a second for new data

// A gray image as a GL texture (LUMINANCE: sampled as (L, L, L, 1), which
// ImGui's shader multiplies by white).
struct Texture {
  GLuint id = 0;
  int width = 0;
  int height = 0;
  std::uint64_t version = 0;

  void upload(const ins::GrayImage& image, std::uint64_t image_version) {
    if (image.pixels.empty() || (id != 0 && version == image_version)) return;
    if (id == 0) {
      glGenTextures(1, &id);
      glBindTexture(GL_TEXTURE_2D, id);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    } else {
      glBindTexture(GL_TEXTURE_2D, id);
    }
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    if (width == image.width && height == image.height) {
      glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, GL_LUMINANCE, GL_UNSIGNED_BYTE,
                      image.pixels.data());
    } else {
      width = image.width;
      height = image.height;
      glTexImage2D(GL_TEXTURE_2D, 0, GL_LUMINANCE, width, height, 0, GL_LUMINANCE, GL_UNSIGNED_BYTE,
                   image.pixels.data());
    }
    version = image_version;
  }

  ImTextureID imgui_id() const {
    return reinterpret_cast<ImTextureID>(static_cast<std::intptr_t>(id));
  }
};

struct App {
  GLFWwindow* window = nullptr;
  // Device pixels per CSS pixel (1, 2 or 3): the canvas and every size are
  // scaled by it, and the font is drawn at that size, so text stays crisp
  // on high-DPI screens.
  float scale = 1.0f;
  bool active = true;
  // What is left to draw: frames for mouse input (ImGui sizes its window over
  // the first frames too), and whether new data came since the last draw.
  int input_frames = 3;
  bool data_changed = false;
  double last_draw_ms = 0.0;

  // The selected face.
  int selected = 0;
  int face_count = 0;
  std::string caption;
  ins::GrayImage input;
  std::uint64_t input_version = 0;
  std::uint32_t input_checksum = 0;
  Texture input_texture;

  // Feature maps, one entry per conv layer (kept, never shrunk: a model has
  // a handful of layers).
  std::vector<ins::FeatureLayer> layers;
  std::vector<Texture> layer_textures;
  std::vector<float> scratch;  // a layer's values on their way in
  int shown_layer = 0;
  std::string features_note = "Waiting for the first face.";

  // Histories.
  std::string probability_label = "probability";
  ins::History<kHistory> probability;
  ins::History<kHistory> detect_ms;
  ins::History<kHistory> prepare_ms;
  ins::History<kHistory> infer_ms;
  ins::History<kHistory> fps;
  unsigned frames_pushed = 0;
  unsigned frames_drawn = 0;

  void touch() { data_changed = true; }
  void touch_input(int frames) { input_frames = std::max(input_frames, frames); }
  bool idle() const { return window != nullptr && input_frames <= 0 && !data_changed; }
};

App app;

float finite_or_zero(double v) {
  return std::isfinite(v) ? static_cast<float>(v) : 0.0f;
}

// ---- drawing ----------------------------------------------------------------

void plot(const char* id, const ins::History<kHistory>& history, const char* overlay, float lo,
          float hi, float height) {
  ImGui::PlotLines(id, history.data(), history.count(), history.offset(), overlay, lo, hi,
                   ImVec2(ImGui::GetContentRegionAvail().x, height));
}

// A latency plot scaled to its largest value, with the last value overlaid.
void latency_plot(const char* id, const char* name, const ins::History<kHistory>& history) {
  char overlay[64];
  std::snprintf(overlay, sizeof overlay, "%s %.2f ms", name, static_cast<double>(history.last()));
  plot(id, history, overlay, 0.0f, std::max(1.0f, history.max() * 1.15f), 34.0f * app.scale);
}

void draw_selector() {
  if (app.face_count == 0) {
    ImGui::TextUnformatted("No face yet: choose a photo or start the webcam.");
    return;
  }
  int wanted = app.selected;
  ImGui::BeginDisabled(app.selected <= 0);
  if (ImGui::ArrowButton("##previous", ImGuiDir_Left)) wanted = app.selected - 1;
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::Text("Face %d of %d", app.selected + 1, app.face_count);
  ImGui::SameLine();
  ImGui::BeginDisabled(app.selected + 1 >= app.face_count);
  if (ImGui::ArrowButton("##next", ImGuiDir_Right)) wanted = app.selected + 1;
  ImGui::EndDisabled();
  if (wanted != app.selected) {
    app.selected = wanted;
    app.touch();
    fg_notify_selection(wanted);
  }
}

void draw_input() {
  if (app.input.pixels.empty()) return;
  ImGui::Image(app.input_texture.imgui_id(),
               ImVec2(static_cast<float>(app.input.width * kInputScale) * app.scale,
                      static_cast<float>(app.input.height * kInputScale) * app.scale));
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::Text("Model input, %dx%d gray", app.input.width, app.input.height);
  ImGui::TextUnformatted(app.caption.c_str());
  ImGui::TextDisabled("FNV-1a %08x", static_cast<unsigned>(app.input_checksum));
  ImGui::EndGroup();
}

void draw_features() {
  ImGui::TextUnformatted("Feature maps");
  if (app.layers.empty()) {
    ImGui::TextWrapped("%s", app.features_note.c_str());
    return;
  }
  app.shown_layer = std::clamp(app.shown_layer, 0, static_cast<int>(app.layers.size()) - 1);
  const ins::FeatureLayer& shown = app.layers[app.shown_layer];
  ImGui::SetNextItemWidth(120.0f * app.scale);
  if (ImGui::BeginCombo("##layer", shown.name.c_str())) {
    for (int i = 0; i < static_cast<int>(app.layers.size()); ++i) {
      if (ImGui::Selectable(app.layers[i].name.c_str(), i == app.shown_layer)) {
        app.shown_layer = i;
        app.touch();
      }
    }
    ImGui::EndCombo();
  }
  ImGui::SameLine();
  ImGui::Text("%d channels, %dx%d", shown.channels, shown.height, shown.width);
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  ImGui::TextWrapped("Each channel scaled from its own minimum (black) to maximum (white).");
  ImGui::PopStyleColor();
  // As large as fits, in whole pixels when enlarged.
  const ImVec2 room = ImGui::GetContentRegionAvail();
  const float gw = static_cast<float>(shown.grid.width);
  const float gh = static_cast<float>(shown.grid.height);
  float scale = std::min(room.x / gw, room.y / gh);
  if (scale > 1.0f) scale = std::floor(scale);
  if (scale <= 0.0f) return;
  ImGui::Image(app.layer_textures[app.shown_layer].imgui_id(), ImVec2(gw * scale, gh * scale));
}

void draw() {
  const ImGuiViewport* viewport = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(viewport->Pos);
  ImGui::SetNextWindowSize(viewport->Size);
  constexpr ImGuiWindowFlags flags =
      ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
      ImGuiWindowFlags_NoScrollWithMouse | ImGuiWindowFlags_NoBringToFrontOnFocus;
  ImGui::Begin("facegender inspector", nullptr, flags);
  draw_selector();
  draw_input();

  ImGui::Separator();
  char overlay[96];
  std::snprintf(overlay, sizeof overlay, "%s: %.3f", app.probability_label.c_str(),
                static_cast<double>(app.probability.last()));
  plot("##probability", app.probability, overlay, 0.0f, 1.0f, 48.0f * app.scale);
  latency_plot("##detect", "detect", app.detect_ms);
  latency_plot("##prepare", "preprocess", app.prepare_ms);
  latency_plot("##infer", "inference", app.infer_ms);
  if (app.fps.last() > 0.0f)
    std::snprintf(overlay, sizeof overlay, "%.1f frames/s", static_cast<double>(app.fps.last()));
  else
    std::snprintf(overlay, sizeof overlay, "frames/s (while the webcam runs)");
  plot("##fps", app.fps, overlay, 0.0f, std::max(10.0f, app.fps.max() * 1.15f), 34.0f * app.scale);

  ImGui::Separator();
  draw_features();
  ImGui::End();
}

void frame() {
  if (!app.active) return;
  const double now = emscripten_get_now();
  const bool for_input = app.input_frames > 0;
  const bool for_data = app.data_changed && now - app.last_draw_ms >= 1000.0 / kMaxDataFps;
  if (!for_input && !for_data) return;
  if (for_input) --app.input_frames;
  app.data_changed = false;
  app.last_draw_ms = now;

  app.input_texture.upload(app.input, app.input_version);
  for (std::size_t i = 0; i < app.layers.size(); ++i)
    app.layer_textures[i].upload(app.layers[i].grid, app.layers[i].version);

  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
  draw();
  ImGui::Render();

  int width = 0;
  int height = 0;
  glfwGetFramebufferSize(app.window, &width, &height);
  glViewport(0, 0, width, height);
  glClearColor(0.09f, 0.09f, 0.11f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  ++app.frames_drawn;
}

// Mouse input keeps the inspector drawing for a little while (hover, clicks).
void on_cursor(GLFWwindow*, double, double) {
  app.touch_input(kRedrawAfterInput);
}
void on_button(GLFWwindow*, int, int, int) {
  app.touch_input(kRedrawAfterInput);
}
void on_enter(GLFWwindow*, int) {
  app.touch_input(kRedrawAfterInput);
}

// ---- the JS API ---------------------------------------------------------------

// Copies a typed array of exactly `count` elements of the JS type `type`
// into `out` (resized to count); false, leaving `out` alone, otherwise.
template <class T>
bool copy_typed_array(const val& source, const char* type, std::size_t count, std::vector<T>& out) {
  if (!source.instanceof (val::global(type))) return false;
  if (source["length"].as<double>() != static_cast<double>(count)) return false;
  out.resize(count);
  val(emscripten::typed_memory_view(count, out.data())).call<void>("set", source);
  return true;
}

bool valid_size(int v) {
  return v > 0 && v <= 4096;
}

// Initialises GLFW, WebGL2 and ImGui on Module.canvas (width x height device
// pixels, `scale` per CSS pixel) and starts drawing. False when the browser
// gives no WebGL2 context or a size is out of range.
bool start(int width, int height, int scale) {
  if (app.window != nullptr) return true;
  if (scale < 1 || scale > 3 || !valid_size(width) || !valid_size(height) ||
      glfwInit() != GLFW_TRUE)
    return false;
  app.scale = static_cast<float>(scale);
  fg_release_page_input();
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  app.window = glfwCreateWindow(width, height, "facegender inspector", nullptr, nullptr);
  if (app.window == nullptr) return false;
  glfwMakeContextCurrent(app.window);
  // Before ImGui's: its GLFW backend calls the callbacks it finds installed.
  glfwSetCursorPosCallback(app.window, on_cursor);
  glfwSetMouseButtonCallback(app.window, on_button);
  glfwSetCursorEnterCallback(app.window, on_enter);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // no imgui.ini: there is no file system
  io.LogFilename = nullptr;
  ImGui::StyleColorsDark();
  ImGui::GetStyle().WindowBorderSize = 0.0f;
  ImGui::GetStyle().ScaleAllSizes(app.scale);
  // The built-in pixel font at a whole multiple of its 13 px: sharp, not stretched.
  ImFontConfig font;
  font.SizePixels = 13.0f * app.scale;
  io.Fonts->AddFontDefault(&font);
  ImGui_ImplGlfw_InitForOpenGL(app.window, true);
  ImGui_ImplOpenGL3_Init("#version 300 es");  // GLSL ES 3.00 = WebGL2
  emscripten_set_main_loop(frame, 0, false);  // requestAnimationFrame
  return true;
}

// Shown or hidden by the page: a hidden inspector stops its animation loop.
void set_active(bool active) {
  if (app.window == nullptr || active == app.active) return;
  app.active = active;
  if (active) {
    app.touch_input(3);
    emscripten_resume_main_loop();
  } else {
    emscripten_pause_main_loop();
  }
}

// The selected face's model input: width*height gray bytes (Uint8Array or
// Uint8ClampedArray).
bool set_face_input(const val& gray, int width, int height) {
  if (!valid_size(width) || !valid_size(height)) return false;
  if (!copy_typed_array(gray, "Uint8Array", static_cast<std::size_t>(width) * height,
                        app.input.pixels) &&
      !copy_typed_array(gray, "Uint8ClampedArray", static_cast<std::size_t>(width) * height,
                        app.input.pixels))
    return false;
  app.input.width = width;
  app.input.height = height;
  app.input_checksum = ins::fnv1a32(app.input.pixels);
  ++app.input_version;
  app.touch();
  return true;
}

void set_caption(const std::string& text) {
  app.caption = text;
  app.touch();
}

// One conv layer's activations for the selected face: a Float32Array of
// channels*height*width values (NCHW with N = 1).
bool set_feature_maps(const std::string& name, const val& data, int channels, int height,
                      int width) {
  if (name.empty() || !valid_size(channels) || !valid_size(height) || !valid_size(width))
    return false;
  const std::size_t count = static_cast<std::size_t>(channels) * height * width;
  if (count > (std::size_t{1} << 24) || !copy_typed_array(data, "Float32Array", count, app.scratch))
    return false;
  auto it = std::find_if(app.layers.begin(), app.layers.end(),
                         [&](const ins::FeatureLayer& l) { return l.name == name; });
  if (it == app.layers.end()) {
    app.layers.emplace_back().name = name;
    app.layer_textures.emplace_back();
    it = app.layers.end() - 1;
  }
  ins::build_feature_grid(app.scratch, channels, height, width, *it);
  app.touch();
  return true;
}

void clear_feature_maps() {
  for (Texture& t : app.layer_textures)
    if (t.id != 0) glDeleteTextures(1, &t.id);
  app.layers.clear();
  app.layer_textures.clear();
  app.shown_layer = 0;
  app.touch();
}

// Shown in place of the feature maps while there are none.
void set_features_note(const std::string& text) {
  app.features_note = text;
  app.touch();
}

// One classified frame or photo: the stages' times (ms) and the frame rate.
void push_frame(double detect_ms, double prepare_ms, double infer_ms, double fps) {
  app.detect_ms.push(finite_or_zero(detect_ms));
  app.prepare_ms.push(finite_or_zero(prepare_ms));
  app.infer_ms.push(finite_or_zero(infer_ms));
  app.fps.push(finite_or_zero(fps));
  ++app.frames_pushed;
  app.touch();
}

// One value of the probability plot, and its caption (e.g. "P(female)").
void push_probability(double value, const std::string& label) {
  app.probability.push(std::clamp(finite_or_zero(value), 0.0f, 1.0f));
  app.probability_label = label;
  app.touch();
}

// The probability plot starts again (a new photo, or another tracked face).
void clear_probability() {
  app.probability.clear();
  app.touch();
}

// Which face is selected, out of how many (0 faces: nothing to show).
void select_face(int index, int count) {
  app.face_count = std::max(0, count);
  app.selected = app.face_count == 0 ? 0 : std::clamp(index, 0, app.face_count - 1);
  app.touch();
}

// The note shown instead of the feature maps ('' while there are maps).
std::string features_note() {
  return app.layers.empty() ? app.features_note : std::string();
}

}  // namespace

EMSCRIPTEN_BINDINGS(facegender_inspector) {
  namespace em = emscripten;
  em::function("start", &start);
  em::function("setActive", &set_active);
  em::function("setFaceInput", &set_face_input);
  em::function("setCaption", &set_caption);
  em::function("setFeatureMaps", &set_feature_maps);
  em::function("clearFeatureMaps", &clear_feature_maps);
  em::function("setFeaturesNote", &set_features_note);
  em::function("pushFrame", &push_frame);
  em::function("pushProbability", &push_probability);
  em::function("clearProbability", &clear_probability);
  em::function("selectFace", &select_face);
  // Read back by the page's debug object and the browser test.
  em::function(
      "ready", +[] { return app.window != nullptr; });
  em::function(
      "selectedFace", +[] { return app.selected; });
  em::function(
      "faceCount", +[] { return app.face_count; });
  em::function(
      "inputChecksum", +[] { return static_cast<unsigned>(app.input_checksum); });
  em::function(
      "inputWidth", +[] { return app.input.width; });
  em::function(
      "inputHeight", +[] { return app.input.height; });
  em::function(
      "featureLayerCount", +[] { return static_cast<int>(app.layers.size()); });
  em::function("featuresNote", &features_note);
  em::function(
      "framesPushed", +[] { return app.frames_pushed; });
  em::function(
      "framesDrawn", +[] { return app.frames_drawn; });
  // True once everything received has been drawn (nothing left to draw).
  em::function(
      "idle", +[] { return app.idle(); });
}
