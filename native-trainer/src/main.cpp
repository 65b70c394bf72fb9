// facegender: prepare a face dataset, train, evaluate, export and classify.
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"facegender: train and run a face classifier (apparent gender by default)"};
  app.require_subcommand(1);
#if FACEGENDER_TRAIN_ONLY
  facegender::cli::add_train(app);
  facegender::cli::add_calibrate(app);
#else
  facegender::cli::add_prepare(app);
  facegender::cli::add_pack(app);
  facegender::cli::add_unpack(app);
  facegender::cli::add_train(app);
  facegender::cli::add_calibrate(app);
  facegender::cli::add_eval(app);
  facegender::cli::add_export(app);
  facegender::cli::add_classify(app);
  facegender::cli::add_inspect(app);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    const std::string command =
        app.get_subcommands().empty() ? "" : app.get_subcommands().front()->get_name();
    std::cerr << "facegender " << command << ": error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
