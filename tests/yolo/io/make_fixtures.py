#!/usr/bin/env python3
"""Writes the small checkpoint fixtures of tests/yolo/io/data/ (run once; outputs are committed).

The checkpoints are made the way torch.save makes them, but without torch: stand-in classes are
registered under the real module names (models.yolo.Model, torch.nn.modules.conv.Conv2d,
torch._utils._rebuild_tensor_v2, torch.HalfStorage, ...) so CPython's own pickler emits the same
opcodes (GLOBAL, NEWOBJ, BUILD, REDUCE, BINPERSID, memo) as a real YOLOv5 file. That makes this an
independent writer to test our C++ reader against. Nothing here is ever unpickled.

mini.pt            a 2-level YOLOv5-shaped model (Conv + Detect) with 'model' and 'ema' (ema wins),
                   names as a v7.0 dict, a non-contiguous (transposed) tensor, two tensors sharing one
                   storage at different offsets, an int64 num_batches_tracked, fp16/fp32 storages.
mini_expected.txt  for each state_dict entry of the ema model: name, dtype, shape, values.
mini_last.pt       an unstripped last.pt: numpy scalar, pathlib path, argparse Namespace, optimizer state.
hostile_*.pt       the same file broken one way each (see HOSTILE below).
A non-persistent buffer (Detect.cache) checks that _non_persistent_buffers_set is honoured.
"""
import collections
import io
import os
import pickle
import struct
import sys
import types
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def fake_module(name):
    parts = name.split(".")
    for k in range(1, len(parts) + 1):  # the import system wants every parent package too
        sys.modules.setdefault(".".join(parts[:k]), types.ModuleType(".".join(parts[:k])))
    return sys.modules[name]


def fake_class(module, name):
    cls = type(name, (object,), {})
    cls.__module__ = module.__name__
    cls.__qualname__ = name
    setattr(module, name, cls)
    return cls


def fake_function(module, name):
    def fn(*args):
        raise RuntimeError("never called")
    fn.__module__ = module.__name__
    fn.__qualname__ = name
    fn.__name__ = name
    setattr(module, name, fn)
    return fn


m_yolo, m_common = fake_module("models.yolo"), fake_module("models.common")
m_conv, m_bn = fake_module("torch.nn.modules.conv"), fake_module("torch.nn.modules.batchnorm")
m_act, m_cont = fake_module("torch.nn.modules.activation"), fake_module("torch.nn.modules.container")
m_utils, m_torch = fake_module("torch._utils"), fake_module("torch")
Model, Detect, Conv = fake_class(m_yolo, "Model"), fake_class(m_yolo, "Detect"), fake_class(m_common, "Conv")
Conv2d, BatchNorm2d = fake_class(m_conv, "Conv2d"), fake_class(m_bn, "BatchNorm2d")
SiLU = fake_class(m_act, "SiLU")
Sequential, ModuleList = fake_class(m_cont, "Sequential"), fake_class(m_cont, "ModuleList")
rebuild_tensor_v2 = fake_function(m_utils, "_rebuild_tensor_v2")
rebuild_parameter = fake_function(m_utils, "_rebuild_parameter")
STORAGE_TYPES = {"f16": fake_class(m_torch, "HalfStorage"), "f32": fake_class(m_torch, "FloatStorage"),
                 "f64": fake_class(m_torch, "DoubleStorage"), "i64": fake_class(m_torch, "LongStorage")}
PACK = {"f16": "<e", "f32": "<f", "f64": "<d", "i64": "<q"}


class Storage:
    def __init__(self, dtype, values):
        self.dtype, self.values, self.key = dtype, list(values), None

    def raw(self):
        return b"".join(struct.pack(PACK[self.dtype], v) for v in self.values)


class Tensor:
    def __init__(self, storage, offset, size, stride, parameter=True):
        self.storage, self.offset, self.size, self.stride, self.parameter = storage, offset, size, stride, parameter

    def __reduce_ex__(self, proto):
        t = _TensorData(self)
        if self.parameter:
            return (rebuild_parameter, (t, False, collections.OrderedDict()))
        return t.__reduce_ex__(proto)

    def logical_values(self):
        out = []

        def rec(dim, at):
            if dim == len(self.size):
                out.append(self.storage.values[at])
                return
            for k in range(self.size[dim]):
                rec(dim + 1, at + k * self.stride[dim])
        rec(0, self.offset)
        return out


class _TensorData:
    def __init__(self, t):
        self.t = t

    def __reduce_ex__(self, proto):
        t = self.t
        return (rebuild_tensor_v2, (t.storage, t.offset, tuple(t.size), tuple(t.stride), False,
                                    collections.OrderedDict()))


def contiguous(dtype, size, values):
    stride, acc = [], 1
    for d in reversed(size):
        stride.insert(0, acc)
        acc *= d
    assert acc == len(values)
    return Tensor(Storage(dtype, values), 0, list(size), stride)


def module(cls, params=(), buffers=(), children=(), non_persistent=(), **attrs):
    m = cls.__new__(cls)
    m.__dict__.update({
        "training": False,
        "_parameters": collections.OrderedDict(params),
        "_buffers": collections.OrderedDict(buffers),
        "_non_persistent_buffers_set": set(non_persistent),
        "_backward_hooks": collections.OrderedDict(),
        "_forward_hooks": collections.OrderedDict(),
        "_forward_pre_hooks": collections.OrderedDict(),
        "_modules": collections.OrderedDict(children),
    })
    m.__dict__.update(attrs)
    return m


def seq(start, n, scale=0.125):
    return [((start + k) % 61 - 30) * scale for k in range(n)]


def build_model(shift):
    """Conv(3->4, k3) + Detect(nl=2, na=3, nc=2) on channels 4 and 4."""
    conv_w = contiguous("f16", [4, 3, 3, 3], seq(shift, 108))
    bn_shared = Storage("f16", seq(shift + 7, 8))            # weight = [0:4], bias = [4:8]
    bn_w = Tensor(bn_shared, 0, [4], [1])
    bn_b = Tensor(bn_shared, 4, [4], [1])
    rm = contiguous("f16", [4], seq(shift + 3, 4))
    rm.parameter = False
    rv = contiguous("f16", [4], [0.5, 1.0, 1.5, 2.0])
    rv.parameter = False
    nbt = contiguous("i64", [], [7])
    nbt.parameter = False
    conv = module(Conv, children=[
        ("conv", module(Conv2d, params=[("weight", conv_w), ("bias", None)], in_channels=3, out_channels=4,
                        kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=1)),
        ("bn", module(BatchNorm2d, params=[("weight", bn_w), ("bias", bn_b)],
                      buffers=[("running_mean", rm), ("running_var", rv), ("num_batches_tracked", nbt)],
                      eps=0.001, momentum=0.03)),
        ("act", module(SiLU, inplace=True))], i=0, f=-1, type="models.common.Conv", np=148)
    no = 3 * (5 + 2)
    anchors = contiguous("f16", [2, 3, 2], [1.25, 1.625, 2.0, 3.75, 4.125, 2.875,
                                            1.875, 3.8125, 3.875, 2.8125, 3.6875, 7.4375])
    anchors.parameter = False
    m0_w = contiguous("f16", [no, 4, 1, 1], seq(shift + 11, no * 4))
    # m.1.weight is a transposed view: storage holds [4, no] row-major, the tensor reads it as [no, 4, 1, 1].
    t_store = Storage("f16", seq(shift + 19, no * 4))
    m1_w = Tensor(t_store, 0, [no, 4, 1, 1], [1, no, 1, 1])
    m0_b = contiguous("f32", [no], seq(shift + 23, no))
    m1_b = contiguous("f32", [no], seq(shift + 29, no))
    cache = contiguous("f32", [2], [1.0, 2.0])  # a non-persistent buffer: not in state_dict()
    cache.parameter = False
    detect = module(Detect, buffers=[("anchors", anchors), ("cache", cache)], non_persistent=["cache"], children=[
        ("m", module(ModuleList, children=[
            ("0", module(Conv2d, params=[("weight", m0_w), ("bias", m0_b)])),
            ("1", module(Conv2d, params=[("weight", m1_w), ("bias", m1_b)]))]))],
        nc=2, no=no, nl=2, na=3, i=1, f=[0, 0], type="models.yolo.Detect",
        stride=contiguous("f16", [2], [8.0, 16.0]), grid=[None, None])
    stride = contiguous("f32", [2], [8.0, 16.0])
    stride.parameter = False
    yaml = {"nc": 2, "depth_multiple": 0.33, "width_multiple": 0.25,
            "anchors": [[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119]],
            "backbone": [[-1, 1, "Conv", [4, 3, 1]]],
            "head": [[-1, 1, "nn.Upsample", ["None", 2, "nearest"]], [[0, 0], 1, "Detect", ["nc", "anchors"]]],
            "ch": 3}
    return module(Model, children=[("model", module(Sequential, children=[("0", conv), ("1", detect)]))],
                  yaml_file="mini.yaml", yaml=yaml, save=[0], names={0: "particle", 1: "ice"},
                  inplace=True, stride=stride, nc=2)


def state_dict(m, prefix=""):
    out = []
    for k, v in m.__dict__["_parameters"].items():
        if v is not None:
            out.append((prefix + k, v))
    for k, v in m.__dict__["_buffers"].items():
        if v is not None and k not in m.__dict__["_non_persistent_buffers_set"]:
            out.append((prefix + k, v))
    for k, c in m.__dict__["_modules"].items():
        out += state_dict(c, prefix + k + ".")
    return out


class CheckpointPickler(pickle.Pickler):
    def __init__(self, f, storages):
        super().__init__(f, protocol=2)
        self.storages = storages

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            if obj.key is None:
                obj.key = str(len(self.storages))
                self.storages.append(obj)
            return ("storage", STORAGE_TYPES[obj.dtype], obj.key, "cpu", len(obj.values))
        return None


def write_zip(path, pkl, storages, compress_pkl=False, numel_lie=None):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mini/data.pkl"), pkl,
                   compress_type=zipfile.ZIP_DEFLATED if compress_pkl else zipfile.ZIP_STORED)
        for s in storages:
            raw = s.raw()
            if numel_lie == s.key:
                raw = raw[: len(raw) // 2]
            z.writestr(zipfile.ZipInfo("mini/data/" + s.key), raw, compress_type=zipfile.ZIP_STORED)
        z.writestr(zipfile.ZipInfo("mini/version"), b"3\n", compress_type=zipfile.ZIP_STORED)


def dump(obj):
    buf, storages = io.BytesIO(), []
    CheckpointPickler(buf, storages).dump(obj)
    return buf.getvalue(), storages


def main():
    os.makedirs(OUT, exist_ok=True)
    model, ema = build_model(0), build_model(5)
    ckpt = {"epoch": 5, "best_fitness": 0.5, "model": model, "ema": ema, "updates": 100, "optimizer": None,
            "date": "2024-01-02T03:04:05"}
    pkl, storages = dump(ckpt)
    write_zip(os.path.join(OUT, "mini.pt"), pkl, storages)
    with open(os.path.join(OUT, "mini_expected.txt"), "w") as f:
        for name, t in state_dict(ema):
            vals = t.logical_values()
            f.write("%s %s [%s] %s\n" % (name, t.storage.dtype, ",".join(map(str, t.size)),
                                        " ".join(repr(float(v)) for v in vals)))
    with open(os.path.join(OUT, "mini_data.pkl"), "wb") as f:
        f.write(pkl)

    # An unstripped last.pt: numpy scalar, pathlib path, argparse-like opt dict, optimizer state.
    import argparse
    import pathlib
    import numpy
    last = {"epoch": 41, "best_fitness": numpy.float64(0.25), "model": build_model(0), "ema": build_model(5),
            "updates": 1234, "optimizer": {"state": {0: {"momentum_buffer": contiguous("f32", [2], [0.5, 1.5])}},
                                           "param_groups": [{"lr": 0.01, "momentum": 0.937, "params": [0, 1]}]},
            "opt": {"weights": pathlib.PurePosixPath("yolov5n.pt"), "ns": argparse.Namespace(epochs=100)},
            "git": {"remote": "https://github.com/ultralytics/yolov5", "branch": "master"},
            "date": "2024-05-06T07:08:09"}
    p, s = dump(last)
    write_zip(os.path.join(OUT, "mini_last.pt"), p, s)

    # HOSTILE: each one broken in a single way.
    write_zip(os.path.join(OUT, "hostile_compressed.pt"), pkl, storages, compress_pkl=True)
    write_zip(os.path.join(OUT, "hostile_short_storage.pt"), pkl, storages, numel_lie=storages[-1].key)  # an ema storage
    bad = build_model(5)
    bad.__dict__["_modules"]["model"].__dict__["_modules"]["0"].__dict__["_modules"]["conv"] \
        .__dict__["_parameters"]["weight"].storage.values[17] = float("nan")
    p, s = dump({"epoch": 1, "model": bad, "ema": None})
    write_zip(os.path.join(OUT, "hostile_nan.pt"), p, s)
    big = build_model(5)
    det = big.__dict__["_modules"]["model"].__dict__["_modules"]["1"]
    det.__dict__["_buffers"]["anchors"].size = [2, 3, 4]  # more elements than the storage holds
    p, s = dump({"epoch": 1, "model": big, "ema": None})
    write_zip(os.path.join(OUT, "hostile_shape.pt"), p, s)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > /tmp/yolopick_pwned",))
    p = pickle.dumps({"epoch": 1, "model": Evil()}, protocol=2)  # writes 'posix system', runs nothing
    write_zip(os.path.join(OUT, "hostile_os_system.pt"), p, [])
    print("wrote fixtures to", OUT)


if __name__ == "__main__":
    main()
