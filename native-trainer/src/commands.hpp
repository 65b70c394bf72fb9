// The facegender command line: one executable, one subcommand per step.
// Each add_* registers its subcommand, options and action on the app.
#pragma once

namespace CLI {
class App;
}

namespace facegender::cli {

void add_prepare(CLI::App& app);    // photos -> packed dataset        (OpenCV, core)
void add_pack(CLI::App& app);       // packed dataset -> travel form   (OpenCV: WebP)
void add_unpack(CLI::App& app);     // travel form -> packed dataset   (OpenCV: WebP)
void add_train(CLI::App& app);      // packed dataset -> checkpoints   (LibTorch only)
void add_calibrate(CLI::App& app);  // checkpoint + val faces -> calibration.json (LibTorch)
void add_eval(CLI::App& app);       // checkpoint + dataset -> report  (LibTorch, OpenCV for PNG)
void add_export(CLI::App& app);  // checkpoint -> ONNX              (LibTorch, libonnx, OpenCV DNN)
void add_classify(CLI::App& app);  // ONNX + photos -> labels         (OpenCV DNN, libonnx, core)
void add_inspect(CLI::App& app);   // curves and feature maps as PNG  (LibTorch, OpenCV)

}  // namespace facegender::cli
