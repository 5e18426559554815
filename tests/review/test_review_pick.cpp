// test_review_pick.cpp: the review's "pick this micrograph" honours the micrographs' pixel size as `pick` does -
// a model that records a scale refuses a PNG without --apix, and picks it with one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "imgproc/image_io.h"
#include "review/yolopick_io.h"
#include "yolo/model_file.h"

namespace yp::review {
namespace {

namespace fs = std::filesystem;

TEST(ReviewPick, ApixReachesThePickOfAScaledModel) {
  const fs::path d = fs::temp_directory_path() / ("yp_review_apix_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  // The bundled model told it works at 7.04 A/px (its 640 px input over a 2048 px micrograph at 2.2 A/px).
  yolo::ModelFileContents c = yolo::read_model_file(std::string(YOLOPICK_SOURCE_DIR) + "/models/klh_yolov5n.safetensors");
  c.info.input.pixel_size = 7.04;
  c.info.input.particle_diameter = 321;
  const std::string model = (d / "scaled.safetensors").string();
  yolo::write_model_file(model, c.tensors, c.info, DType::F16);
  const std::string png = (d / "m.png").string();
  imgproc::write_png(png, imgproc::Image(320, 320, 0.5f));

  try {
    pick_micrograph(*load_review_model(model), png);
    FAIL() << "picked a PNG without a pixel size";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--apix"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(pick_micrograph(*load_review_model(model, 7.04), png));
  fs::remove_all(d);
}

}  // namespace
}  // namespace yp::review
