// test_review_safety.cpp: what the review server refuses - paths outside its folders, malformed and oversized
// requests, foreign Host and Origin headers, missing tokens - and that it keeps serving afterwards; the
// command line's token for a non-loopback host (review/server.h "Safety").
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>

#include "review/requests.h"
#include "review_fixture.h"

namespace yp::test {

std::string raw_request(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  // Read until the answer is complete (headers + Content-Length bytes) or the server closes: waiting for the
  // close alone would wait out the keep-alive timeout.
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
    answer.append(buf, n);
    const size_t end = answer.find("\r\n\r\n");
    if (end == std::string::npos) continue;
    const size_t cl = answer.find("Content-Length: ");
    const size_t length = cl < end ? std::strtoul(answer.c_str() + cl + 16, nullptr, 10) : 0;
    if (answer.size() >= end + 4 + length) break;
  }
  ::close(fd);
  return answer;
}

namespace {

int status_of(const std::string& answer) {
  return answer.size() > 12 && answer.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(answer.c_str() + 9) : -1;
}

class ReviewSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fresh_folder("safety");
    write_review_data(dir);
    // A file beside the session's folders that no request may read or overwrite.
    std::FILE* f = std::fopen((dir / "secret.txt").c_str(), "w");
    std::fputs("TOP-SECRET-CONTENT\n", f);
    std::fclose(f);
    review = std::make_unique<RunningReview>(review_options(dir));
  }
  void TearDown() override {
    review.reset();
    fs::remove_all(dir);
  }
  void expect_still_serving() {
    auto c = review->client();
    const auto r = c.Get("/api/session");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  fs::path dir;
  std::unique_ptr<RunningReview> review;
};

TEST_F(ReviewSafety, PathTraversalFindsNothing) {
  auto c = review->client();
  const std::string save = R"({"boxes":[],"threshold":0.25,"label":true})";
  for (const char* name : {"..%2Fsecret", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "..", "%2e%2e",
                                 "sim_00000.png", "sim_00000%00", "mics%2Fsim_00000", "..%5Csecret"}) {
    const std::string base = std::string("/api/micrographs/") + name;
    for (const char* tail : {"/boxes", "/view/raw", "/view/raw/0/0/0"}) {
      const auto r = c.Get((base + tail).c_str());
      ASSERT_TRUE(r) << base + tail;
      EXPECT_EQ(r->status, 404) << base + tail << ": " << r->body;
      EXPECT_EQ(r->body.find("TOP-SECRET"), std::string::npos);
    }
    const auto p = c.Post((base + "/boxes").c_str(), save, "application/json");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->status, 404) << base;
  }
  for (const char* path : {"/../secret.txt", "/../../etc/passwd", "/api/../secret.txt", "/%2e%2e/secret.txt",
                                 "/review.js/../../secret.txt", "/mics/sim_00000.png", "/labels/", "/out/"}) {
    const std::string answer = raw_request(review->port, "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                                                             std::to_string(review->port) + "\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_of(answer), 404) << path << ": " << answer.substr(0, 200);
    EXPECT_EQ(answer.find("TOP-SECRET"), std::string::npos) << path;
  }
  // Nothing was written anywhere: no output folder, no label file, the secret untouched.
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_FALSE(fs::exists(dir / "labels"));
  std::ifstream in(dir / "secret.txt");
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "TOP-SECRET-CONTENT");
  expect_still_serving();
}

TEST_F(ReviewSafety, MalformedSavesGetA4xxAndChangeNothing) {
  auto c = review->client();
  const std::string box = R"({"x":10,"y":10,"w":50,"h":50,"class":0,"confidence":0.5})";
  const auto with_box = [](const std::string& b) { return R"({"boxes":[)" + b + R"(],"threshold":0.25,"label":true})"; };
  const std::string deep = std::string(200, '[') + std::string(200, ']');
  const std::vector<std::pair<std::string, int>> cases = {
      {"", 400},
      {"{", 400},
      {"[]", 400},
      {"null", 400},
      {deep, 400},
      {R"({"boxes":5,"threshold":0.25,"label":true})", 400},
      {R"({"boxes":[],"threshold":0.25})", 400},
      {R"({"boxes":[],"threshold":"0.25","label":true})", 400},
      {R"({"boxes":[],"threshold":0.25,"label":"yes"})", 400},
      {R"({"boxes":[],"threshold":0.25,"label":true,"extra":1})", 400},
      {R"({"boxes":[],"boxes":[],"threshold":0.25,"label":true})", 400},
      {R"({"boxes":[],"threshold":NaN,"label":true})", 400},
      {R"({"boxes":[],"threshold":1e999,"label":true})", 400},
      {R"({"boxes":[],"threshold":-0.1,"label":true})", 422},
      {with_box(R"({"x":"10","y":10,"w":50,"h":50,"class":0})"), 400},
      {with_box(R"({"x":10,"y":10,"w":50,"h":50})"), 400},
      {with_box(R"({"x":10,"y":10,"w":50,"h":50,"class":0,"colour":"red"})"), 400},
      {with_box(R"({"x":10,"y":10,"w":50,"h":50,"class":-1})"), 422},
      {with_box(R"({"x":10,"y":10,"w":50,"h":50,"class":1.5})"), 422},
      {with_box(R"({"x":10,"y":10,"w":50,"h":50,"class":1000})"), 422},
      {with_box(R"({"x":10,"y":10,"w":0,"h":50,"class":0})"), 422},
      {with_box(R"({"x":10,"y":10,"w":1e9,"h":50,"class":0})"), 422},
      {with_box(R"({"x":-3,"y":10,"w":50,"h":50,"class":0})"), 422},
      {with_box(R"({"x":10,"y":1024,"w":50,"h":50,"class":0})"), 422},
      {with_box(R"({"x":10,"y":10,"w":50,"h":50,"class":0,"confidence":-2e9})"), 422},
      {with_box(R"({"x":10,"y":10,"w":50,"h":50,"class":0,"confidence":null})"), 400},
      {with_box(box + "," + R"({"x":10})"), 400},
      {"\xff\xfe{", 400},
  };
  for (const auto& [body, status] : cases) {
    const auto r = c.Post("/api/micrographs/sim_00000/boxes", body, "application/json");
    ASSERT_TRUE(r) << body.substr(0, 80);
    EXPECT_EQ(r->status, status) << body.substr(0, 80) << " -> " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    EXPECT_NE(r->body.find("\"error\""), std::string::npos) << body.substr(0, 80);
  }
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_FALSE(fs::exists(dir / "labels"));
  expect_still_serving();
}

TEST_F(ReviewSafety, RequestSizesAreBounded) {
  auto c = review->client();
  const std::string huge(review::kMaxBodyBytes + 1, ' ');
  const auto big = c.Post("/api/micrographs/sim_00000/boxes", huge, "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  std::string many = R"({"boxes":[)";
  for (size_t i = 0; i <= review::kMaxBoxes; ++i) many += (i ? "," : "") + std::string(R"({"x":1,"y":1,"w":5,"h":5,"class":0})");
  many += R"(],"threshold":0.25,"label":false})";
  const auto too_many = c.Post("/api/micrographs/sim_00000/boxes", many, "application/json");
  ASSERT_TRUE(too_many);
  EXPECT_EQ(too_many->status, 413);
  const std::string long_uri = "GET /api/micrographs/" + std::string(20000, 'a') + "/boxes HTTP/1.1\r\nHost: 127.0.0.1:" +
                               std::to_string(review->port) + "\r\nConnection: close\r\n\r\n";
  EXPECT_GE(status_of(raw_request(review->port, long_uri)), 400);
  EXPECT_FALSE(fs::exists(dir / "out"));
  expect_still_serving();
}

TEST_F(ReviewSafety, BrokenHttpGetsA4xx) {
  const std::string host = "Host: 127.0.0.1:" + std::to_string(review->port) + "\r\n";
  for (const std::string& request : {std::string("GARBAGE\r\n\r\n"), std::string("GET\r\n\r\n"),
                                    "POST /api/export HTTP/1.1\r\n" + host + "Content-Type: application/json\r\n"
                                    "Content-Length: 99\r\nConnection: close\r\n\r\n{}",
                                    "POST /api/export HTTP/1.1\r\n" + host + "Content-Type: application/json\r\n"
                                    "Content-Length: -5\r\nConnection: close\r\n\r\n",
                                    "GET /api/session HTTP/1.1\r\n" + host + "X-Long: " + std::string(100000, 'x') + "\r\n\r\n"}) {
    const std::string answer = raw_request(review->port, request);
    const int status = status_of(answer);
    EXPECT_TRUE(status == -1 || (status >= 400 && status < 500)) << request.substr(0, 60) << " -> " << answer.substr(0, 120);
  }
  expect_still_serving();
}

TEST_F(ReviewSafety, ForeignHostOriginAndContentTypeAreRefused) {
  auto c = review->client();
  const auto rebinding = c.Get("/api/session", {{"Host", "attacker.example:" + std::to_string(review->port)}});
  ASSERT_TRUE(rebinding);
  EXPECT_EQ(rebinding->status, 403);
  const auto page = c.Get("/", {{"Host", "attacker.example"}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 403);
  const auto cross = c.Post("/api/export", {{"Origin", "http://attacker.example"}}, R"({"threshold":0.3})", "application/json");
  ASSERT_TRUE(cross);
  EXPECT_EQ(cross->status, 403);
  const auto form = c.Post("/api/export", R"({"threshold":0.3})", "application/x-www-form-urlencoded");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 415);
  const auto same = c.Post("/api/export", {{"Origin", "http://127.0.0.1:" + std::to_string(review->port)}},
                           R"({"threshold":0.3})", "application/json");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 200);
  const auto localhost = c.Get("/api/session", {{"Host", "localhost:" + std::to_string(review->port)}});
  EXPECT_EQ(localhost->status, 200);
}

TEST_F(ReviewSafety, ThePageIsServedWithAStrictPolicy) {
  auto c = review->client();
  const auto page = c.Get("/");
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("yolopick review"), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(c.Get("/review.js")->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(c.Get("/viewer.js")->status, 200);
  EXPECT_EQ(c.Get("/nothing.js")->status, 404);
}

TEST(ReviewToken, EveryRequestNeedsTheToken) {
  const fs::path dir = fresh_folder("token");
  write_review_data(dir);
  review::ServerOptions server_options;
  server_options.token = review::random_token();
  ASSERT_EQ(server_options.token.size(), 32u);
  EXPECT_NE(server_options.token, review::random_token());
  {
    RunningReview review(review_options(dir), server_options);
    auto c = review.client();
    EXPECT_EQ(c.Get("/")->status, 401);
    EXPECT_EQ(c.Get("/api/session")->status, 401);
    EXPECT_EQ(c.Get("/api/session", {{"X-Review-Token", "0123"}})->status, 401);
    EXPECT_EQ(c.Get("/api/session", {{"X-Review-Token", server_options.token}})->status, 200);
    EXPECT_EQ(c.Get(("/?token=" + server_options.token).c_str())->status, 200);
    EXPECT_EQ(c.Post("/api/export", R"({"threshold":0.3})", "application/json")->status, 401);
  }
  review::ServerOptions open;
  open.host = "0.0.0.0";
  review::Project project(review_options(dir));
  EXPECT_THROW(review::ReviewServer(project, open), std::exception);  // no token, not loopback
  EXPECT_TRUE(review::is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(review::is_loopback_host("::1"));
  EXPECT_FALSE(review::is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(review::is_loopback_host("192.168.1.4"));
  fs::remove_all(dir);
}

#ifdef YOLOPICK_EXE
// The command line: `--host` other than loopback prints a token, the server refuses requests without it, and
// SIGTERM stops it cleanly.
TEST(ReviewCommand, NonLoopbackHostPrintsATokenAndStopsOnSigterm) {
  const fs::path dir = fresh_folder("cli");
  write_review_data(dir);
  const fs::path log = dir / "stdout.txt";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::freopen(log.c_str(), "w", stdout);
    ::execl(YOLOPICK_EXE, YOLOPICK_EXE, "review", "--micrographs", (dir / "mics").c_str(), "--labels",
            (dir / "labels").c_str(), "--out", (dir / "out").c_str(), "--host", "0.0.0.0", "--port", "0",
            static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  std::string text;
  for (int i = 0; i < 300 && text.find("Open http") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(log);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t at = text.find("Open http://");
  ASSERT_NE(at, std::string::npos) << text;
  const size_t colon = text.find(':', at + 12);  // http://HOSTNAME:PORT/?token=...
  ASSERT_NE(colon, std::string::npos) << text;
  const int port = std::atoi(text.c_str() + colon + 1);
  const size_t t = text.find("?token=", at);
  ASSERT_NE(t, std::string::npos) << text;
  const std::string token = text.substr(t + 7, 32);
  EXPECT_NE(text.find("token   " + token), std::string::npos);
  httplib::Client c("127.0.0.1", port);
  EXPECT_EQ(c.Get("/api/session")->status, 401);
  EXPECT_EQ(c.Get(("/api/session?token=" + token).c_str())->status, 200);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  fs::remove_all(dir);
}
#endif

}  // namespace
}  // namespace yp::test
