// Writes the fuzz targets' seed corpora: make_fuzz_seeds OUT_DIR makes
// OUT_DIR/<target>/ for each target with a few small valid (and nearly
// valid) inputs. Everything is made here, at build time, from code: image
// headers byte by byte, tiny networks and cascades, and the trainer's own
// writers for the dataset, safetensors and checkpoint files, so the seeds
// follow the formats as they change. No dataset image is ever used.
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "checkpoint_fixture.hpp"
#include "common/safetensors.hpp"
#include "dataset/packed_dataset.hpp"
#include "train/checkpoint.hpp"

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;
using nlohmann::json;

namespace {

fs::path g_out;

void put(const std::string& target, const std::string& name, const Bytes& bytes) {
  const fs::path dir = g_out / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
}

void put(const std::string& target, const std::string& name, const std::string& text) {
  put(target, name, Bytes(text.begin(), text.end()));
}

// The same file as "HEADER\0DATA" (fuzz::framed in fuzz_support.hpp): the
// header after `prefix` bytes, its length in the `length_bytes` before it.
void put_framed(const std::string& target, const std::string& name, const Bytes& file,
                std::size_t prefix, std::size_t length_bytes) {
  std::uint64_t length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i)
    length |= static_cast<std::uint64_t>(file.at(prefix - length_bytes + i)) << (8 * i);
  Bytes framed(file.begin() + static_cast<long>(prefix),
               file.begin() + static_cast<long>(prefix + length));
  framed.push_back(0);
  framed.insert(framed.end(), file.begin() + static_cast<long>(prefix + length), file.end());
  put(target, name + ".framed", framed);
}

Bytes read_back(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Every seed of `target` again in its framed form.
void frame_all(const std::string& target, std::size_t prefix, std::size_t length_bytes) {
  for (const auto& entry : fs::directory_iterator(g_out / target)) {
    if (entry.path().extension() == ".framed") continue;
    put_framed(target, entry.path().filename().string(), read_back(entry.path()), prefix,
               length_bytes);
  }
}

void append(Bytes& b, std::initializer_list<int> values) {
  for (int v : values) b.push_back(static_cast<std::uint8_t>(v));
}
void append(Bytes& b, const std::string& text) {
  b.insert(b.end(), text.begin(), text.end());
}
void be16(Bytes& b, std::uint32_t v) {
  append(b, {static_cast<int>((v >> 8) & 0xFF), static_cast<int>(v & 0xFF)});
}
void be32(Bytes& b, std::uint32_t v) {
  be16(b, v >> 16);
  be16(b, v & 0xFFFF);
}
void le16(Bytes& b, std::uint32_t v) {
  append(b, {static_cast<int>(v & 0xFF), static_cast<int>((v >> 8) & 0xFF)});
}
void le32(Bytes& b, std::uint32_t v) {
  le16(b, v & 0xFFFF);
  le16(b, v >> 16);
}

std::uint32_t crc32(const Bytes& bytes, std::size_t begin, std::size_t end) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = begin; i < end; ++i) {
    crc ^= bytes[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void png_chunk(Bytes& b, const std::string& type, const Bytes& payload) {
  be32(b, static_cast<std::uint32_t>(payload.size()));
  const std::size_t start = b.size();
  append(b, type);
  b.insert(b.end(), payload.begin(), payload.end());
  be32(b, crc32(b, start, b.size()));
}

// ---- probe_image: headers of every format the probe sizes ---------------------

void image_seeds() {
  const std::string t = "probe_image";
  // Baseline JPEG: SOI, APP0, SOF0 (24x16, 1 component), SOS, scan bytes
  // (with a stuffed FF 00 and a restart marker), EOI.
  Bytes jpeg;
  append(jpeg, {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10});
  append(jpeg, std::string("JFIF\0", 5));
  append(jpeg, {1, 1, 0, 0, 1, 0, 1, 0, 0});
  append(jpeg, {0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x18, 0x01, 0x01, 0x11, 0x00});
  append(jpeg, {0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00});
  append(jpeg, {0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78, 0xFF, 0xD9});
  put(t, "baseline.jpg", jpeg);
  Bytes progressive = jpeg;
  progressive[21] = 0xC2;  // SOF2
  put(t, "progressive.jpg", progressive);
  put(t, "cut.jpg", Bytes(jpeg.begin(), jpeg.end() - 2));

  Bytes png;
  append(png, {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
  Bytes ihdr;
  be32(ihdr, 24);
  be32(ihdr, 16);
  append(ihdr, {8, 0, 0, 0, 0});
  png_chunk(png, "IHDR", ihdr);
  png_chunk(png, "IDAT", {0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
  png_chunk(png, "IEND", {});
  put(t, "small.png", png);

  Bytes bmp;
  append(bmp, "BM");
  le32(bmp, 54 + 24 * 16 * 3);
  le32(bmp, 0);
  le32(bmp, 54);
  le32(bmp, 40);
  le32(bmp, 24);
  le32(bmp, static_cast<std::uint32_t>(-16));  // top-down
  le16(bmp, 1);
  le16(bmp, 24);
  for (int i = 0; i < 6; ++i) le32(bmp, 0);
  put(t, "topdown.bmp", bmp);
  Bytes os2;
  append(os2, "BM");
  le32(os2, 26);
  le32(os2, 0);
  le32(os2, 26);
  le32(os2, 12);
  le16(os2, 24);
  le16(os2, 16);
  le16(os2, 1);
  le16(os2, 24);
  put(t, "os2.bmp", os2);

  auto riff = [](const std::string& chunk, const Bytes& payload) {
    Bytes b;
    append(b, "RIFF");
    le32(b, static_cast<std::uint32_t>(4 + 8 + payload.size()));
    append(b, "WEBP");
    append(b, chunk);
    le32(b, static_cast<std::uint32_t>(payload.size()));
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
  };
  put(t, "lossy.webp", riff("VP8 ", {0x30, 0x01, 0x00, 0x9D, 0x01, 0x2A, 24, 0, 16, 0, 0, 0}));
  put(t, "lossless.webp", riff("VP8L", {0x2F, 0x17, 0xC0, 0x03, 0x00, 0, 0, 0, 0, 0}));
  put(t, "extended.webp", riff("VP8X", {0x10, 0, 0, 0, 23, 0, 0, 15, 0, 0}));

  Bytes tiff_le;
  append(tiff_le, {'I', 'I', 0x2A, 0x00});
  le32(tiff_le, 8);
  le16(tiff_le, 2);
  le16(tiff_le, 256);
  le16(tiff_le, 3);
  le32(tiff_le, 1);
  le32(tiff_le, 24);
  le16(tiff_le, 257);
  le16(tiff_le, 4);
  le32(tiff_le, 1);
  le32(tiff_le, 16);
  le32(tiff_le, 0);
  put(t, "little.tif", tiff_le);
  Bytes tiff_be;
  append(tiff_be, {'M', 'M', 0x00, 0x2A});
  be32(tiff_be, 8);
  be16(tiff_be, 2);
  be16(tiff_be, 257);
  be16(tiff_be, 3);
  be32(tiff_be, 1);
  be16(tiff_be, 16);
  be16(tiff_be, 0);
  be16(tiff_be, 256);
  be16(tiff_be, 4);
  be32(tiff_be, 1);
  be32(tiff_be, 24);
  be32(tiff_be, 0);
  put(t, "big.tif", tiff_be);

  put(t, "gray.pgm", std::string("P5\n# a comment\n24 16\n255\n") + std::string(24 * 16, '\x80'));
  put(t, "ascii.pbm", "P1 4 2\n0 1 0 1\n1 0 1 0\n");
  put(t, "color.ppm", std::string("P6 2 2 255\n") + std::string(12, '\x40'));
  put(t, "anim.gif", std::string("GIF89a\x18\x00\x10\x00", 10));
  put(t, "not-an-image.jpg", "name,gender\n");
}

// ---- model_spec: ONNX metadata_props as key=value lines -------------------------

void model_spec_seeds() {
  const std::string t = "model_spec";
  put(t, "box.txt",
      "class_names=[\"female\",\"male\"]\n"
      "crop={\"margin\":0.2,\"size\":100,\"input\":80}\n"
      "normalization={\"mean\":0,\"std\":1}\n");
  put(t, "aligned.txt",
      "class_names=[\"female\",\"male\"]\n"
      "crop={\"kind\":\"aligned\",\"scale\":4.2,\"shift\":0.2,\"size\":80}\n"
      "normalization={\"mean\":0.5,\"std\":0.25}\n"
      "detector=blazeface\n");
  put(t, "haar.txt",
      "class_names=[\"a\",\"b\",\"c\"]\n"
      "crop={\"kind\":\"box\",\"margin\":0.0,\"size\":32,\"input\":32}\n"
      "normalization={\"mean\":-1e-3,\"std\":2.5}\n"
      "detector=haar\n"
      "producer=facegender\n");
}

// ---- cascade: small cascades in the format cascade_to_json writes --------------

void cascade_seeds() {
  const std::string t = "cascade";
  put(t, "edge.json",
      R"({"format":"facegender-haar-cascade/1","window":[8,8],)"
      R"("stages":[{"threshold":0.0,"trees":[{"nodes":[[0,-1,0,0.9]],"leaves":[-1.0,1.0]}]}],)"
      R"("features":[{"rects":[[0,0,8,8,-1.0],[4,0,4,8,2.0]]}]})");
  // Two stages; a two-level tree; a three-rect feature; a tilted: 0 field.
  put(t, "two-stage.json",
      R"({"format":"facegender-haar-cascade/1","source":"seed","window":[12,10],)"
      R"("features":[{"rects":[[0,0,12,10,-1.0],[0,0,6,10,2.0]],"tilted":0},)"
      R"({"rects":[[0,0,12,10,-1.0],[4,0,4,10,3.0],[0,2,12,3,0.5]]},)"
      R"({"rects":[[2,2,8,6,1.0]]}],)"
      R"("stages":[{"threshold":-0.5,"trees":[{"nodes":[[1,-1,0,0.1],[0,-2,1,-0.2]],"leaves":[0.5,-0.5,1.0]},)"
      R"({"nodes":[[0,-1,2,0.05]],"leaves":[-0.3,0.7]}]},)"
      R"({"threshold":0.2,"trees":[{"nodes":[[0,-1,1,0.0]],"leaves":[-1.0,1.0]}]}]})");
}

// ---- network: .fgnet files (tflite_to_fgnet's layout) ----------------------------

struct NetBuilder {
  json tensors = json::array();
  json ops = json::array();
  std::vector<float> constants;
  std::mt19937 rng{7};

  int tensor(std::vector<int> shape) {
    tensors.push_back({{"shape", shape}, {"constant", -1}});
    return static_cast<int>(tensors.size()) - 1;
  }
  int constant(std::vector<int> shape, float bias = 0.0f) {
    std::size_t n = 1;
    for (int d : shape) n *= static_cast<std::size_t>(d);
    std::uniform_real_distribution<float> d(-0.5f, 0.5f);
    tensors.push_back({{"shape", shape}, {"constant", constants.size()}});
    for (std::size_t i = 0; i < n; ++i) constants.push_back(bias + d(rng));
    return static_cast<int>(tensors.size()) - 1;
  }
  int op(json fields, std::vector<int> in, std::vector<int> out_shape) {
    const int out = tensor(std::move(out_shape));
    fields["in"] = in;
    fields["out"] = json::array({out});
    ops.push_back(std::move(fields));
    return out;
  }
  int conv(int in, int in_channels, int out_channels, int kernel, int stride, std::vector<int> out,
           const char* padding = "valid", float bias = 0.0f) {
    const int w = constant({out_channels, kernel, kernel, in_channels});
    const int b = constant({out_channels}, bias);
    return op({{"op", "conv2d"},
               {"padding", padding},
               {"stride", {stride, stride}},
               {"dilation", {1, 1}},
               {"activation", "none"}},
              {in, w, b}, std::move(out));
  }
  Bytes bytes(const std::vector<int>& inputs, const std::vector<int>& outputs) const {
    std::string header = json{
        {"format", 1},
        {"tensors", tensors},
        {"inputs", inputs},
        {"outputs", outputs},
        {"ops", ops}}.dump();
    while ((12 + header.size()) % 4 != 0) header.push_back(' ');
    Bytes b;
    append(b, std::string("FGNET1\0\0", 8));
    le32(b, static_cast<std::uint32_t>(header.size()));
    append(b, header);
    const auto* raw = reinterpret_cast<const std::uint8_t*>(constants.data());
    b.insert(b.end(), raw, raw + constants.size() * sizeof(float));
    return b;
  }
};

void network_seeds() {
  const std::string t = "network";
  {  // Every operator once, on an 8x8x3 input.
    NetBuilder n;
    const int in = n.tensor({1, 8, 8, 3});
    const int c = n.conv(in, 3, 4, 3, 1, {1, 8, 8, 4}, "same");
    n.ops.back()["activation"] = "relu6";
    const int dw_w = n.constant({1, 3, 3, 4});
    const int dw_b = n.constant({4});
    const int dw = n.op({{"op", "depthwise_conv2d"},
                         {"padding", "same"},
                         {"stride", {2, 2}},
                         {"dilation", {1, 1}},
                         {"activation", "relu"}},
                        {c, dw_w, dw_b}, {1, 4, 4, 4});
    n.tensors.push_back({{"shape", {4, 2}}, {"constant", -1}, {"ints", {0, 0, 0, 1, 0, 1, 0, 0}}});
    const int pads = static_cast<int>(n.tensors.size()) - 1;
    const int padded = n.op({{"op", "pad"}}, {dw, pads}, {1, 5, 5, 4});
    const int pooled = n.op({{"op", "max_pool2d"},
                             {"padding", "valid"},
                             {"stride", {2, 2}},
                             {"filter", {2, 2}},
                             {"activation", "none"}},
                            {padded}, {1, 2, 2, 4});
    const int up =
        n.op({{"op", "resize_bilinear"}, {"align_corners", false}, {"half_pixel_centers", true}},
             {pooled}, {1, 4, 4, 4});
    const int sum = n.op({{"op", "add"}, {"activation", "none"}}, {dw, up}, {1, 4, 4, 4});
    const int relu = n.op({{"op", "relu"}}, {sum}, {1, 4, 4, 4});
    const int flat_a = n.op({{"op", "reshape"}}, {relu}, {1, 16, 4});
    const int flat_b = n.op({{"op", "reshape"}}, {c}, {1, 64, 4});
    const int joined =
        n.op({{"op", "concat"}, {"axis", 1}, {"activation", "none"}}, {flat_a, flat_b}, {1, 80, 4});
    put(t, "every-op.fgnet", n.bytes({in}, {joined, relu}));
  }
  {  // BlazeFace short range's shapes: 896 anchors from 16x16x2 + 8x8x6 cells.
    NetBuilder n;
    const int in = n.tensor({1, 128, 128, 3});
    const int ra =
        n.op({{"op", "reshape"}}, {n.conv(in, 3, 32, 1, 8, {1, 16, 16, 32})}, {1, 512, 16});
    const int rb =
        n.op({{"op", "reshape"}}, {n.conv(in, 3, 96, 1, 16, {1, 8, 8, 96})}, {1, 384, 16});
    const int boxes = n.op({{"op", "concat"}, {"axis", 1}}, {ra, rb}, {1, 896, 16});
    const int sa = n.op({{"op", "reshape"}},
                        {n.conv(in, 3, 2, 1, 8, {1, 16, 16, 2}, "valid", 1.0f)}, {1, 512, 1});
    const int sb = n.op({{"op", "reshape"}},
                        {n.conv(in, 3, 6, 1, 16, {1, 8, 8, 6}, "valid", -1.0f)}, {1, 384, 1});
    const int scores = n.op({{"op", "concat"}, {"axis", 1}}, {sa, sb}, {1, 896, 1});
    put(t, "short-range.fgnet", n.bytes({in}, {boxes, scores}));
  }
  {  // BlazeFace full range's: 2304 anchors, 48x48x1.
    NetBuilder n;
    const int in = n.tensor({1, 192, 192, 3});
    const int boxes =
        n.op({{"op", "reshape"}}, {n.conv(in, 3, 16, 1, 4, {1, 48, 48, 16})}, {1, 2304, 16});
    const int scores = n.op({{"op", "reshape"}},
                            {n.conv(in, 3, 1, 1, 4, {1, 48, 48, 1}, "valid", 0.5f)}, {1, 2304, 1});
    put(t, "full-range.fgnet", n.bytes({in}, {boxes, scores}));
  }
}

// ---- labels_csv --------------------------------------------------------------------

void csv_seeds() {
  const std::string t = "labels_csv";
  put(t, "plain.csv", "path,gender\na.jpg,0\nb.jpg,1\nsub/c.jpg,1\n");
  put(t, "names.csv",
      "path,gender,age,race\nx.png,female,23,1\ny.png,male,41,0\nz.png,ambiguous,,\n");
  put(t, "quoted-crlf.csv",
      "\xEF\xBB\xBFpath,\"gender\",sha256\r\n\"with, comma.jpg\",0,ABCDEF0123456789\r\n"
      "\"quote\"\"d.jpg\",1,\r\n\r\n\"multi\nline.jpg\",0,\r\n");
  put(t, "bad-rows.csv", "gender,path\n1,a.jpg\n2\n,b.jpg\n0,,extra\n");
}

// ---- packed_dataset, safetensors, checkpoint: the trainer's own writers ------------

void dataset_seeds(const fs::path& scratch) {
  using namespace facegender::dataset;
  PackedDataset d;
  d.image_size = 4;
  d.classes = {"female", "male"};
  d.records = {
      {0, Split::Train, false, 23, 1, "Train/0/a.jpg", std::string(64, 'a'), true},
      {1, Split::Test, false, std::nullopt, std::nullopt, "Eval/1/b.jpg", std::string(64, 'b'),
       false},
      {-1, Split::Val, true, 30, std::nullopt, "ambiguous/c.jpg", std::string(64, 'c'), true}};
  d.pixels.resize(d.records.size() * 16);
  for (std::size_t i = 0; i < d.pixels.size(); ++i) d.pixels[i] = static_cast<std::uint8_t>(i * 11);
  d.provenance = {{"tool", "make_fuzz_seeds"}, {"options", {{"min_face", 40}}}};
  d.report = {{"kept", 3}, {"dropped", {{"no_face", 1}}}};
  write(d, (scratch / "small.fgds").string());
  PackedDataset empty;
  empty.classes = {"0", "1"};
  write(empty, (scratch / "empty.fgds").string());
  for (const char* name : {"small.fgds", "empty.fgds"}) {
    fs::create_directories(g_out / "packed_dataset");
    fs::copy_file(scratch / name, g_out / "packed_dataset" / name,
                  fs::copy_options::overwrite_existing);
  }
}

void safetensors_seeds(const fs::path& scratch) {
  using namespace facegender;
  fs::create_directories(g_out / "safetensors");
  write_safetensors(fuzz::small_checkpoint().weights,
                    (g_out / "safetensors" / "weights.safetensors").string());
  TensorFile scalar;
  scalar.tensors["scalar"] = {{}, {1.5f}};
  scalar.metadata = {{"note", "a scalar"}};
  write_safetensors(scalar, (g_out / "safetensors" / "scalar.safetensors").string());
  // An empty tensor, by hand: write_safetensors passes memcpy a null pointer
  // for one (UBSan), which is for the fuzz target to report, not the seeds.
  const std::string header = R"({"empty":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},)"
                             R"("one":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  Bytes empty;
  le32(empty, static_cast<std::uint32_t>(header.size()));
  le32(empty, 0);
  append(empty, header);
  append(empty, {0, 0, 0x80, 0x3F});
  put("safetensors", "empty-tensor.safetensors", empty);
  write_safetensors(TensorFile{}, (g_out / "safetensors" / "none.safetensors").string());
  (void)scratch;
}

void checkpoint_seeds(const fs::path& scratch) {
  const fs::path dir = scratch / "checkpoint";
  facegender::write_checkpoint(fuzz::small_checkpoint(), dir.string(), "fuzz");
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    put("checkpoint", "written.json", text);
    // Older checkpoints: no hash, then no weights name either.
    json j = json::parse(text);
    j.erase("weights_fnv1a64");
    put("checkpoint", "no-hash.json", j.dump());
    j.erase("weights");
    put("checkpoint", "no-weights-name.json", j.dump());
  }
}

// ---- pixels: FuzzedDataProvider input, so any bytes; a spread of sizes ----------

void pixel_seeds() {
  std::mt19937 rng(2024);
  int index = 0;
  for (const std::size_t size : {8u, 24u, 80u, 200u, 420u, 900u, 1600u, 3000u}) {
    for (int k = 0; k < 4; ++k) {
      Bytes b(size);
      for (auto& v : b) v = static_cast<std::uint8_t>(rng());
      put("pixels", "random-" + std::to_string(index++), b);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_seeds OUT_DIR\n");
    return 2;
  }
  g_out = argv[1];
  const fs::path scratch = g_out / ".scratch";
  try {
    fs::remove_all(scratch);
    fs::create_directories(scratch);
    image_seeds();
    model_spec_seeds();
    cascade_seeds();
    network_seeds();
    csv_seeds();
    dataset_seeds(scratch);
    safetensors_seeds(scratch);
    checkpoint_seeds(scratch);
    pixel_seeds();
    frame_all("network", 12, 4);
    frame_all("packed_dataset", 16, 8);
    frame_all("safetensors", 8, 8);
    fs::remove_all(scratch);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_fuzz_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
