// bench_pick.cpp: end-to-end picking throughput on 2048 x 2048 micrographs (the KLH detector size), and the
// time of each pipeline stage, so the run's figure can be read against the stage it is bound by.
//
//   ./bench/bench_pick --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//   YP_PICK_MODEL=path.safetensors (default: the bundled models/klh_yolov5n.safetensors)
//   OMP_NUM_THREADS sets the compute threads (default: every core).
// Micrographs: 8 simulated KLH micrographs (picker/simulate.h, seed 7) written once as 8-bit PNG to a
// temporary folder. Rows:
//   BM_PickRun/S   yolopick pick's whole run (picker/pipeline/pick_run.h): reader thread (read + pre-process),
//                  network, writer thread (STAR, box, cbox, CSV, txt, annotated PNG); counter mic/s.
//   BM_Read        PNG decode of one micrograph                     (reader thread)
//   BM_Prepare     the model's input pipeline (chain + network input) + the PNG's picture (reader thread)
//   BM_Detect      forward + NMS + mapping back                     (main thread)
//   BM_Write/S     every output file of one micrograph, PNG included (writer thread)
// S = the annotated PNG's longer side: 1024 (the default preview) or 0 (full size).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "imgproc/image_io.h"
#include "picker/pipeline/pick.h"
#include "picker/pipeline/pick_run.h"
#include "picker/simulate.h"
#include "tensor/parallel.h"

namespace {

namespace fs = std::filesystem;
using namespace yp;

constexpr int kMicrographs = 8;

std::string model_path() {
  if (const char* p = std::getenv("YP_PICK_MODEL")) return p;
  return std::string(YOLOPICK_SOURCE_DIR) + "/models/klh_yolov5n.safetensors";
}

// The simulated micrographs (written on first use) and the model, shared by every row.
struct Fixture {
  fs::path dir = fs::temp_directory_path() / "yolopick_bench_pick";
  std::vector<std::string> micrographs;
  yolo::Detector model;

  Fixture() {
    fs::create_directories(dir / "in");
    picker::SimulationParams params;
    params.seed = 7;
    for (int i = 0; i < kMicrographs; ++i) {
      const std::string name = "sim_" + std::to_string(i);
      const fs::path png = dir / "in" / (name + ".png");
      if (!fs::exists(png)) picker::write_simulated((dir / "in").string(), name, picker::simulate_micrograph(params, i));
      micrographs.push_back(png.string());
    }
    model = yolo::load_detector(model_path());
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// state.range(0): the annotated PNG's longer side (1024 = the default preview, 0 = full size).
void BM_PickRun(benchmark::State& state) {
  Fixture& f = fixture();
  picker::PickRunOptions o;
  o.png_max_side = (int)state.range(0);
  o.inputs = f.micrographs;
  o.out_dir = (f.dir / "out").string();
  o.skip_done = false;
  o.progress = false;
  fs::create_directories(o.out_dir);
  for (auto _ : state) benchmark::DoNotOptimize(picker::run_pick(f.model, o, nullptr).picked);
  state.counters["mic/s"] = benchmark::Counter(kMicrographs, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = cpu_threads();
}

void BM_Read(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(imgproc::read_image(f.micrographs[0]).image.width);
}

void BM_Prepare(benchmark::State& state) {
  Fixture& f = fixture();
  const imgproc::LoadedImage raw = imgproc::read_image(f.micrographs[0]);
  for (auto _ : state) {
    benchmark::DoNotOptimize(picker::prepare_micrograph(raw, f.model, {}).inputs.size());
    benchmark::DoNotOptimize(picker::make_pick_picture(raw.image, 1024).grey.size());  // the PNG's picture
  }
}

void BM_Detect(benchmark::State& state) {
  Fixture& f = fixture();
  const picker::PreparedMicrograph prepared =
      picker::prepare_micrograph(imgproc::read_image(f.micrographs[0]), f.model, {});
  for (auto _ : state) benchmark::DoNotOptimize(picker::detect_prepared(prepared, f.model, {}).size());
}

void BM_Write(benchmark::State& state) {
  Fixture& f = fixture();
  const imgproc::LoadedImage raw = imgproc::read_image(f.micrographs[0]);
  picker::MicrographPicks picks;
  picks.micrograph = "sim_0.png";
  picks.width = raw.image.width;
  picks.height = raw.image.height;
  picks.picks = picker::pick_micrograph(raw, f.model, {});
  const picker::PickPicture picture = picker::make_pick_picture(raw.image, (int)state.range(0));
  const picker::MicrographOutputs out = picker::outputs_for((f.dir / "write").string(), f.micrographs[0]);
  fs::create_directories(f.dir / "write");
  for (auto _ : state) picker::write_micrograph_outputs(out, picks, 0.25, f.model.names(), picture);
  state.counters["picks"] = (double)picks.picks.size();
}

BENCHMARK(BM_PickRun)->Arg(1024)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);
BENCHMARK(BM_Read)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Prepare)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Detect)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Write)->Arg(1024)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  yp::restart_with_passive_openmp_wait(argv);  // as yolopick runs (tensor/parallel.h)
  if (!fs::exists(model_path())) {
    std::printf("bench_pick: no model at %s (set YP_PICK_MODEL); nothing to measure\n", model_path().c_str());
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
