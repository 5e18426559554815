// plots.h: the pictures a training run leaves in its folder (drawn with imgproc/annotate.h; the PR chart is
// picker/plot.h's):
//   results.png        per-epoch curves: train box/obj/cls loss, precision, recall (top row);
//                      val box/obj/cls loss, mAP@0.5, mAP@0.5:0.95 (bottom row)
//   PR_curve.png       precision against recall at IoU 0.5, one curve per class, best weights
//   val_pred.png       the first validation images with true boxes (green) and predictions with
//                      conf >= 0.25 (class colour, score printed), best weights
#pragma once

#include <string>
#include <vector>

#include "train/loader.h"
#include "train/trainer.h"
#include "train/validate.h"

namespace yp::train {

void write_results_png(const std::string& path, const std::vector<EpochRecord>& history);
void write_training_plots(const std::string& out_dir, const std::vector<EpochRecord>& history,
                          const ValidationResult& best_validation, DataLoader& val_data,
                          const std::vector<std::string>& names);

}  // namespace yp::train
