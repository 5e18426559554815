// The zip container and the non-executing pickle VM: well-formed inputs parse to the expected
// structure; truncated, lying, compressed and hostile inputs end in a yp::Error with nothing run.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "tests/yolo/io/fixtures.h"
#include "yolo/io/pickle.h"
#include "yolo/io/zip_reader.h"

using namespace yp::io;
using yp::test::bytes_of;
using yp::test::fixture;
using yp::test::make_torch_zip;
using yp::test::read_bytes;
using namespace std::string_literals;

namespace {

// Runs `fn` and returns the yp::Error message ("" and a test failure when nothing was thrown).
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const yp::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a yp::Error";
  return "";
}

PickleTree run(const std::string& bytes, const PickleLimits& lim = {}) {
  return unpickle(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "test.pkl", lim);
}

}  // namespace

TEST(ZipReader, Crc32KnownValue) {
  const std::string s = "123456789";  // the CRC-32 check value from the standard
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t*>(s.data()), s.size()), 0xCBF43926u);
}

TEST(ZipReader, ReadsTorchLayoutWithAlignedData) {
  const auto z = make_torch_zip({{"archive/data.pkl", bytes_of("abc")}, {"archive/data/0", bytes_of("0123456789")}});
  const ZipReader r = ZipReader::from_memory(z.data(), z.size(), "t.zip");
  ASSERT_EQ(r.entries().size(), 2u);
  const ZipEntry* e = r.find("archive/data/0");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->size, 10u);
  EXPECT_EQ(e->data_offset % 64, 0u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(r.data(*e)), 10), "0123456789");
}

TEST(ZipReader, ReadsPythonZipfileOutput) {
  const ZipReader r = ZipReader::open(fixture("mini.pt"));
  EXPECT_NE(r.find("mini/data.pkl"), nullptr);
  EXPECT_NE(r.find("mini/version"), nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(r.data(*r.find("mini/version"))), 2), "3\n");
}

TEST(ZipReader, EveryTruncationIsAnError) {
  const auto bytes = read_bytes(fixture("mini.pt"));
  ASSERT_GT(bytes.size(), 1000u);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    const std::string msg = error_of([&] { ZipReader::from_memory(bytes.data(), cut, "cut.pt"); });
    ASSERT_NE(msg.find("cut.pt"), std::string::npos) << "cut at " << cut << ": " << msg;
  }
}

TEST(ZipReader, CompressedEntryIsRefused) {
  const std::string msg = error_of([] { ZipReader::open(fixture("hostile_compressed.pt")); });
  EXPECT_NE(msg.find("compressed"), std::string::npos) << msg;
}

TEST(ZipReader, LyingSizeInCentralDirectory) {
  auto z = make_torch_zip({{"a/data.pkl", bytes_of("abc")}});
  const size_t cd = z.size() - 22 - (46 + 10);
  ASSERT_EQ(z[cd], 0x50);
  for (int k = 20; k < 28; ++k) z[cd + k] = 0xFF;  // csize = usize = 0xFFFFFFFF with no ZIP64 extra
  EXPECT_NE(error_of([&] { ZipReader::from_memory(z.data(), z.size(), "lie.zip"); }).find("runs past"), std::string::npos);
  for (int k = 20; k < 28; ++k) z[cd + k] = k < 24 ? (k == 20 ? 0x40 : 0) : (k == 24 ? 0x40 : 0);  // 64 bytes
  EXPECT_NE(error_of([&] { ZipReader::from_memory(z.data(), z.size(), "lie.zip"); }).find("runs past"), std::string::npos);
}

TEST(ZipReader, CorruptDataFailsCrc) {
  auto z = make_torch_zip({{"a/data.pkl", bytes_of("hello world")}});
  const ZipReader ok = ZipReader::from_memory(z.data(), z.size(), "ok.zip");
  z[ok.entries()[0].data_offset + 3] ^= 0x20;
  const ZipReader r = ZipReader::from_memory(z.data(), z.size(), "flip.zip");
  EXPECT_NE(error_of([&] { r.data(r.entries()[0]); }).find("CRC"), std::string::npos);
}

TEST(ZipReader, NotAZip) {
  const std::string junk(5000, 'x');
  EXPECT_NE(error_of([&] { ZipReader::from_memory(reinterpret_cast<const uint8_t*>(junk.data()), junk.size(), "j"); })
                .find("end-of-central-directory"),
            std::string::npos);
  EXPECT_NE(error_of([] { ZipReader::open("/nonexistent/x.pt"); }).find("cannot open"), std::string::npos);
  const auto legacy = read_bytes(fixture("mini_data.pkl"));  // what torch.save wrote before 1.6 starts so
  EXPECT_NE(error_of([&] { ZipReader::from_memory(legacy.data(), legacy.size(), "old.pt"); }).find("legacy"),
            std::string::npos);
}

TEST(Pickle, ReadsTheMiniCheckpointTree) {
  const auto pkl = read_bytes(fixture("mini_data.pkl"));
  const PickleTree t = unpickle(pkl.data(), pkl.size(), "mini");
  const PyValue* root = t.root();
  ASSERT_TRUE(root->is(PyKind::Dict));
  EXPECT_EQ(root->get("epoch")->i, 5);
  EXPECT_DOUBLE_EQ(root->get("best_fitness")->f, 0.5);
  EXPECT_TRUE(root->get("optimizer")->is(PyKind::None));
  const PyValue* model = root->get("model");
  ASSERT_TRUE(model->is(PyKind::Object));
  EXPECT_EQ(model->class_name(), "models.yolo.Model");
  const PyValue* attrs = model->object_state();
  ASSERT_TRUE(attrs->is(PyKind::Dict));
  EXPECT_TRUE(attrs->get("_parameters")->is(PyKind::Dict));              // OrderedDict()
  EXPECT_TRUE(attrs->get("_non_persistent_buffers_set")->is(PyKind::Set)); // set([])
  const PyValue* names = attrs->get("names");
  ASSERT_TRUE(names->is(PyKind::Dict));
  EXPECT_EQ(names->items[0]->i, 0);
  EXPECT_EQ(names->items[1]->s, "particle");
  const PyValue* stride = attrs->get("stride");
  ASSERT_TRUE(stride->is(PyKind::Tensor));
  EXPECT_EQ(stride->tensor->storage->storage->dtype, StorageDType::F32);
  EXPECT_EQ(stride->tensor->sizes, std::vector<int64_t>({2}));
  EXPECT_DOUBLE_EQ(attrs->get("yaml")->get("width_multiple")->f, 0.25);
}

TEST(Pickle, SharedObjectsComeThroughTheMemo) {
  // d = {}; [d, d] with d memoised, then an item set on d after both references exist.
  const std::string p = "\x80\x02]q\x00(}q\x01h\x01" "eh\x01X\x01\x00\x00\x00kK\x07s0."s;
  const PickleTree t = run(p);
  const PyValue* l = t.root();
  ASSERT_TRUE(l->is(PyKind::List));
  ASSERT_EQ(l->items.size(), 2u);
  EXPECT_EQ(l->items[0], l->items[1]);
  EXPECT_EQ(l->items[0]->get("k")->i, 7);
}

TEST(Pickle, DictKeyReplacedInPlace) {
  const std::string p = "\x80\x02}(X\x01\x00\x00\x00" "aK\x01X\x01\x00\x00\x00" "bK\x02X\x01\x00\x00\x00" "aK\x03u."s;
  const PickleTree t = run(p);
  ASSERT_EQ(t.root()->dict_size(), 2u);
  EXPECT_EQ(t.root()->items[0]->s, "a");
  EXPECT_EQ(t.root()->get("a")->i, 3);
}

TEST(Pickle, Protocol4Opcodes) {
  // FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL (collections OrderedDict), EMPTY_TUPLE, REDUCE,
  // LONG1 (-2), EMPTY_SET/ADDITEMS, FROZENSET, DUP, BINBYTES.
  std::string p = "\x80\x04\x95"s;
  p += "\x00\x00\x00\x00\x00\x00\x00\x00"s;
  p += "(\x8c\x0b" "collections\x94\x8c\x0bOrderedDict\x94\x93\x94)R";
  p += std::string("\x8a\x01\xfe", 3);
  p += "\x8f(K\x01K\x02\x90(K\x03\x91" "2C\x02hi";
  p += "t.";
  const PickleTree t = run(p);
  const PyValue* tup = t.root();
  ASSERT_TRUE(tup->is(PyKind::Tuple));
  ASSERT_EQ(tup->items.size(), 6u);
  EXPECT_TRUE(tup->items[0]->is(PyKind::Dict));
  EXPECT_EQ(tup->items[1]->i, -2);
  EXPECT_EQ(tup->items[2]->items.size(), 2u);
  EXPECT_TRUE(tup->items[3]->is(PyKind::Set));
  EXPECT_EQ(tup->items[3], tup->items[4]);
  EXPECT_EQ(tup->items[5]->s, "hi");
}

TEST(Pickle, OsSystemIsRefusedAndNothingRuns) {
  const char* marker = "/tmp/yolopick_pwned";
  std::remove(marker);
  const auto zip = read_bytes(fixture("hostile_os_system.pt"));
  const ZipReader r = ZipReader::from_memory(zip.data(), zip.size(), "evil.pt");
  const ZipEntry* e = r.find("mini/data.pkl");
  ASSERT_NE(e, nullptr);
  const std::string msg = error_of([&] { unpickle(r.data(*e), (size_t)e->size, "evil.pt"); });
  EXPECT_NE(msg.find("global 'posix.system' is not allowed"), std::string::npos) << msg;
  EXPECT_FALSE(std::filesystem::exists(marker));
  for (const std::string g : {"cos\nsystem\n", "cbuiltins\neval\n", "c__builtin__\ngetattr\n", "cbuiltins\n__import__\n",
                              "csubprocess\nPopen\n", "ctorch._utils\n_load_from_bytes\n", "cnumpy\nload\n", "ctorch\nload\n"}) {
    const std::string p = "\x80\x02" + g + "X\x02\x00\x00\x00idq\x00\x85R."s;
    EXPECT_NE(error_of([&] { run(p); }).find("is not allowed"), std::string::npos) << g;
  }
  // The same through STACK_GLOBAL (protocol 4).
  const std::string p4 = "\x80\x04\x8c\x02os\x8c\x06system\x93.";
  EXPECT_NE(error_of([&] { run(p4); }).find("'os.system' is not allowed"), std::string::npos);
}

TEST(Pickle, UnknownClassesInModelNamespacesAreOpaque) {
  const std::string p = "\x80\x02" "cmodels.yolo\nSegmentationModel\n)\x81}X\x01\x00\x00\x00xK\x01sb"
                        "cpathlib\nPosixPath\nX\x04\x00\x00\x00runs\x85R\x86."s;
  const PickleTree t = run(p);
  EXPECT_EQ(t.root()->items[0]->class_name(), "models.yolo.SegmentationModel");
  EXPECT_EQ(t.root()->items[0]->object_state()->get("x")->i, 1);
  EXPECT_EQ(t.root()->items[1]->class_name(), "pathlib.PosixPath");
}

TEST(Pickle, CodecsEncodeIsDecodedNotCalled) {
  const std::string ok = "\x80\x02" "c_codecs\nencode\nX\x04\x00\x00\x00\xc3\xa9" "a\x01X\x06\x00\x00\x00latin1\x86R."s;
  const PickleTree t = run(ok);
  ASSERT_TRUE(t.root()->is(PyKind::Bytes));
  EXPECT_EQ(t.root()->s, "\xe9" "a\x01"s);
  const std::string wide = "\x80\x02" "c_codecs\nencode\nX\x02\x00\x00\x00\xc4\x80X\x06\x00\x00\x00latin1\x86R."s;
  EXPECT_NE(error_of([&] { run(wide); }).find("not latin-1"), std::string::npos);
  const std::string other = "\x80\x02" "c_codecs\nencode\nX\x01\x00\x00\x00xX\x05\x00\x00\x00utf-8\x86R."s;
  EXPECT_NE(error_of([&] { run(other); }).find("latin1"), std::string::npos);
  EXPECT_NE(error_of([&] { run("\x80\x02" "c_codecs\ndecode\n."); }).find("not allowed"), std::string::npos);
}

TEST(Pickle, MemoBomb) {
  PickleLimits lim;
  lim.max_memo = 1000;
  EXPECT_NE(error_of([&] { run("\x80\x02Nr\xff\xff\xff\x7f."s, lim); }).find("memo index"), std::string::npos);
  EXPECT_NE(error_of([&] { run("\x80\x02j\x05\x00\x00\x00."s); }).find("never stored"), std::string::npos);
  // Default limit: 2^31 would need 16 GiB of memo pointers; refused before any allocation.
  EXPECT_NE(error_of([&] { run("\x80\x02Nr\xff\xff\xff\x7f."s); }).find("memo index"), std::string::npos);
}

TEST(Pickle, DeepNestingAndStackLimits) {
  EXPECT_NE(error_of([&] { run("\x80\x02" + std::string(100000, '(') + "."); }).find("MARKs nested"), std::string::npos);
  PickleLimits lim;
  lim.max_values = 5000;
  EXPECT_NE(error_of([&] { run("\x80\x02" + std::string(10000, 'N') + ".", lim); }).find("values"), std::string::npos);
  // A list nested 100000 deep is built without recursion; walkers bound their own depth.
  const std::string deep = "\x80\x02" + std::string(100000, ']') + std::string(99999, 'a') + ".";
  const PickleTree t = run(deep);
  EXPECT_TRUE(t.root()->is(PyKind::List));
}

TEST(Pickle, CorruptStreams) {
  EXPECT_NE(error_of([&] { run("\x80\x02N"); }).find("without STOP"), std::string::npos);
  EXPECT_NE(error_of([&] { run("\x80\x02."); }).find("empty stack"), std::string::npos);
  EXPECT_NE(error_of([&] { run("\x80\x02X\xff\xff\xff\x7f"s); }).find("more bytes"), std::string::npos);
  EXPECT_NE(error_of([&] { run("\x80\x02" "a."); }).find("pops past"), std::string::npos);
  EXPECT_NE(error_of([&] { run("\x80\x02" "]K\x01K\x02s."); }).find("SETITEM on a list"), std::string::npos);
  EXPECT_NE(error_of([&] { run("\x80\x02" "I1\n."); }).find("not supported"), std::string::npos);
  EXPECT_NE(error_of([&] { run("\x80\x02" "N)R."); }).find("not a class"), std::string::npos);
  EXPECT_NE(error_of([&] { run("\x80\x02X\x03\x00\x00\x00" "abcQ."s); }).find("persistent id"), std::string::npos);
  // Every truncation of a real stream is an error, never a crash.
  const auto pkl = read_bytes(fixture("mini_data.pkl"));
  for (size_t cut = 0; cut < pkl.size(); ++cut) {
    bool threw = false;
    try {
      unpickle(pkl.data(), cut, "cut");
    } catch (const yp::Error&) {
      threw = true;
    }
    ASSERT_TRUE(threw) << "cut at " << cut;
  }
}

TEST(Pickle, TensorRebuildArgumentsAreChecked) {
  // ('storage', torch.FloatStorage, '0', 'cpu', 4) then _rebuild_tensor_v2(st, 0, (-1,), (1,), False, OD())
  const std::string pid = "(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x00" "0X\x03\x00\x00\x00"
                          "cpuK\x04tQ"s;
  const std::string call = "ctorch._utils\n_rebuild_tensor_v2\n(" + pid;
  const std::string od = "ccollections\nOrderedDict\n)R";
  EXPECT_NE(error_of([&] { run("\x80\x02" + call + "K\x00J\xff\xff\xff\xff\x85K\x01\x85\x89"s + od + "tR."); })
                .find("negative"),
            std::string::npos);
  const PickleTree t = run("\x80\x02" + call + "K\x01K\x03\x85K\x01\x85\x89" + od + "tR.");
  ASSERT_TRUE(t.root()->is(PyKind::Tensor));
  EXPECT_EQ(t.root()->tensor->offset, 1);
  EXPECT_EQ(t.root()->tensor->storage->storage->numel, 4);
}
