// cmd_review.cpp: `yolopick review` - a local web page to label micrographs and review picks (review/,
// docs/review.md). Starts the server, prints the URL, serves until Ctrl+C or SIGTERM.
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "apps/args.h"
#include "apps/commands.h"
#include "tensor/tensor.h"

#ifdef YOLOPICK_WITH_REVIEW
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "review/project.h"
#include "review/server.h"
#endif

namespace yp::app {

static const char* kReviewUsage =
    "usage: yolopick review --micrographs DIR_OR_GLOB [options]\n"
    "example: yolopick review --micrographs Micrographs --picks picks --model klh.safetensors --apix 2.2\n"
    "Label micrographs and review picks in a web browser; every change is saved at once.\n"
    "  --micrographs SPEC...  folders, globs ('Micrographs/*.mrc'), files or list files (as pick --input)\n"
    "  --picks DIR            the picker's outputs to review (NAME.cbox preferred: it keeps every pick)\n"
    "  --labels DIR           YOLO label files NAME.txt, read and written (default: where train looks,\n"
    "                         .../images/x.png -> .../labels/x.txt, else beside the micrograph)\n"
    "  --out DIR              reviewed picks: NAME_autopick.star, .box, .cbox, .csv, .txt, autopick.star\n"
    "                         (default PICKS/reviewed, or reviewed/ beside the labels folder)\n"
    "  -m, --model FILE       enables \"pick this micrograph\", its class names and its pre-processing view\n"
    "  --apix A               pixel size of the micrographs (A/px) for \"pick\", as pick --apix: overrides the\n"
    "                         MRC headers; needed for PNG/JPEG/TIFF when the model records a scale\n"
    "  --data YAML            class names from a data.yaml (without --model)\n"
    "  --classes A,B          class names (default: the model's, the data.yaml's, else 'particle')\n"
    "  --box PX               box size for STAR picks (they carry none) and for new boxes when no box\n"
    "                         of the class has been seen yet\n"
    "  --port N               port (default 8765; 0 = any free port)\n"
    "  --host ADDR            listen on ADDR instead of 127.0.0.1; other than loopback, a random token is\n"
    "                         printed and every request must carry it (the traffic is plain HTTP)\n";

#ifdef YOLOPICK_WITH_REVIEW

static std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text + ",") {
    if (c != ',') {
      cur += c;
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  return out;
}

int cmd_review(const Args& args) {
  review::ProjectOptions project_options;
  review::ServerOptions server_options;
  server_options.port = 8765;
  bool host_given = false;
  ArgReader r(args, "review");
  while (r.next()) {
    if (r.help()) {
      std::printf("%s", kReviewUsage);
      return 0;
    } else if (r.is("--micrographs")) project_options.micrographs = r.values();
    else if (r.is("--picks")) project_options.picks_dir = r.value();
    else if (r.is("--labels")) project_options.labels_dir = r.value();
    else if (r.is("--out", "-o")) project_options.out_dir = r.value();
    else if (r.is("--model", "-m")) project_options.model_path = r.value();
    else if (r.is("--apix")) project_options.apix = r.number();
    else if (r.is("--data")) project_options.data_yaml = r.value();
    else if (r.is("--classes")) project_options.class_names = split_commas(r.value());
    else if (r.is("--box")) project_options.box_size = r.integer(1, 100000);
    else if (r.is("--port")) server_options.port = r.integer(0, 65535);
    else if (r.is("--host")) server_options.host = r.value(), host_given = true;
    else r.unknown();
  }
  if (project_options.micrographs.empty()) throw Error("--micrographs is required (yolopick review --help)");
  if (host_given && !review::is_loopback_host(server_options.host)) server_options.token = review::random_token();

  review::Project project(project_options);
  int counts[3] = {0, 0, 0};
  for (const review::Micrograph& m : project.micrographs()) ++counts[static_cast<int>(project.status(m))];

  // SIGINT/SIGTERM are blocked in every thread and taken by sigwait below, so the server stops cleanly
  // (no handler runs inside httplib's threads).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  review::ReviewServer server(project, server_options);
  server.bind();
  std::printf("yolopick review: %zu micrographs (%d unseen, %d reviewed, %d labelled)\n", project.micrographs().size(),
              counts[0], counts[1], counts[2]);
  if (!project_options.picks_dir.empty()) std::printf("  picks   %s (read only)\n", project_options.picks_dir.c_str());
  std::printf("  labels  %s\n  out     %s\n", project.labels_description().c_str(), project.out_dir().c_str());
  if (project.can_pick()) std::printf("  model   %s (\"pick this micrograph\" is on)\n", project_options.model_path.c_str());
  if (!server_options.token.empty())
    std::printf("  token   %s (every request must carry it; the traffic is not encrypted)\n",
                server_options.token.c_str());
  std::printf("Open %s in a browser. Every change is saved at once; Ctrl+C stops the server.\n", server.url().c_str());
  std::fflush(stdout);

  bool served = true;
  std::thread serving([&] {
    served = server.run();
    kill(getpid(), SIGTERM);  // wakes sigwait when the server stops on its own
  });
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.stop();
  serving.join();
  std::printf("yolopick review: stopped\n");
  return served ? 0 : 1;
}

#else

int cmd_review(const Args&) {
  throw Error("this build has no review server: install cpp-httplib (scripts/setup.sh: libcpp-httplib-dev) and rebuild");
}

#endif

}  // namespace yp::app
