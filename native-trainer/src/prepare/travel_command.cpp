// facegender pack / unpack: a packed dataset to and from its travel form.
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.hpp"
#include "prepare/travel_pack.hpp"

namespace facegender::cli {

void add_pack(CLI::App& app) {
  struct Options {
    std::string in, out;
    int quality = 95;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "pack", "Write a packed dataset's travel form (.fgdz: faces as WebP, lossy)");
  cmd->add_option("dataset", o->in, "Packed dataset (.fgds)")->required();
  cmd->add_option("--out", o->out, "Travel form to write (.fgdz)")->required();
  cmd->add_option("--quality", o->quality, "WebP quality (1-100)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->callback([o] {
    const prepare::PackStats s = prepare::pack_dataset(o->in, o->out, o->quality);
    std::cout << "wrote " << o->out << ": " << s.faces << " faces, "
              << static_cast<double>(s.bytes) / (1024.0 * 1024.0)
              << " MiB; coding error per pixel: mean " << s.mean_abs_error << ", max "
              << s.max_abs_error << " grey levels\n";
  });
}

void add_unpack(CLI::App& app) {
  auto paths = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* cmd =
      app.add_subcommand("unpack", "Turn a travel form (.fgdz) back into a packed dataset (.fgds)");
  cmd->add_option("travel", paths->first, "Travel form (.fgdz)")->required();
  cmd->add_option("--out", paths->second, "Packed dataset to write (.fgds)")->required();
  cmd->callback([paths] {
    const std::uint64_t faces = prepare::unpack_dataset(paths->first, paths->second);
    std::cout << "wrote " << paths->second << ": " << faces << " faces\n";
  });
}

}  // namespace facegender::cli
