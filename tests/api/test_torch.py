"""PyTorch models in (the ``torch`` extra): a small CNN trained on digits here keeps its
accuracy within a point under TFLM in full int8, and emits firmware for every board; a
MobileNetV2-style inverted-residual block converts to full int8 and runs in TFLM.

Runs where the ``torch`` extra is installed (``pip install ".[torch]"``, about 6 GB of
PyTorch and CUDA libraries, which CI's budget leaves out); skips elsewhere.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("litert_torch")
pytest.importorskip("ai_edge_quantizer")

import edgetf  # noqa: E402
from edgetf.base.errors import ConfigError  # noqa: E402
from edgetf.data.datasets import load_dataset  # noqa: E402
from edgetf.targets.boards import BOARDS  # noqa: E402
from edgetf.tflite.quantization import dequantize, quantize  # noqa: E402
from edgetf.tflite.reader import read_tflite  # noqa: E402
from edgetf.tflm.interpreter import run_tflm  # noqa: E402
from tests.conftest import SEED  # noqa: E402


class DigitsNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 16, 3, padding=1)
        self.fc = torch.nn.Linear(16 * 2 * 2, 10)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


@pytest.fixture(scope="module")
def digits():
    data = load_dataset("digits", seed=SEED)
    # edgetf's data sets are NHWC; the PyTorch model takes NCHW.
    return data, data.x_train.transpose(0, 3, 1, 2).copy(), data.x_test.transpose(0, 3, 1, 2)


@pytest.fixture(scope="module")
def trained(digits):
    data, x_train, _ = digits
    torch.set_num_threads(1)  # several threads on a busy 2-core machine: 40x slower
    torch.manual_seed(SEED)
    model = DigitsNet()
    optimizer = torch.optim.Adam(model.parameters(), 1e-2)
    x, y = torch.from_numpy(x_train), torch.from_numpy(data.y_train)
    order = np.random.default_rng(SEED).permutation(len(x))
    for _ in range(8):
        for start in range(0, len(x), 64):
            batch = order[start:start + 64]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            optimizer.step()
    return model.eval()


def _tflm_accuracy(tflite: bytes, x_nhwc: np.ndarray, y: np.ndarray) -> float:
    model = read_tflite(tflite)
    tensor = model.input_tensors()[0]
    (scores,) = run_tflm(tflite, [quantize(x_nhwc.astype(np.float32), tensor)])
    return float((np.asarray(scores).reshape(len(y), -1).argmax(1) == y).mean())


def test_a_digits_cnn_keeps_its_accuracy_in_int8_under_tflm_on_every_board(
        digits, trained, tmp_path):
    data, x_train, x_test = digits
    with torch.no_grad():
        float_accuracy = float((trained(torch.from_numpy(x_test)).argmax(1).numpy()
                                == data.y_test).mean())
    assert float_accuracy > 0.9
    figures = {}
    for board in BOARDS:
        made = edgetf.emit_firmware(trained, board=board, out=tmp_path / board, data=x_train)
        figures[board] = made
        assert made.quantization == "int8" and made.fits, board
        assert (tmp_path / board / "platformio.ini").is_file()
    tflite = figures["esp32"].tflite
    assert all(made.tflite == tflite for made in figures.values())  # deterministic
    model = read_tflite(tflite)
    assert [t.dtype for t in (*model.input_tensors(), *model.output_tensors())] == ["int8"] * 2
    assert list(model.input_tensors()[0].shape) == [1, 8, 8, 1]  # channel-last in
    int8_accuracy = _tflm_accuracy(tflite, data.x_test, data.y_test)
    assert abs(int8_accuracy - float_accuracy) <= 0.01, (int8_accuracy, float_accuracy)


def test_a_torch_export_file_gives_the_same_model(trained, digits, tmp_path):
    """The same ops and the same TFLM outputs (the flatbuffers differ in names only)."""
    data, x_train, _ = digits
    path = tmp_path / "digits.pt2"
    torch.export.save(torch.export.export(trained, (torch.from_numpy(x_train[:1]),)), path)
    from_file = edgetf.emit_firmware(path, board="esp32", out=tmp_path / "a", data=x_train)
    from_module = edgetf.emit_firmware(trained, board="esp32", out=tmp_path / "b",
                                       data=x_train)
    models = [read_tflite(made.tflite) for made in (from_file, from_module)]
    assert models[0].op_names() == models[1].op_names()
    x = quantize(data.x_test[:50], models[0].input_tensors()[0])
    outputs = [np.asarray(run_tflm(made.tflite, [x])[0]) for made in (from_file, from_module)]
    assert np.array_equal(*outputs)


class InvertedResidual(torch.nn.Module):
    """MobileNetV2's block: 1x1 expand, 3x3 depthwise, 1x1 project, with the skip."""

    def __init__(self, channels: int = 8, expand: int = 6):
        super().__init__()
        wide = channels * expand
        self.block = torch.nn.Sequential(
            torch.nn.Conv2d(channels, wide, 1, bias=False), torch.nn.BatchNorm2d(wide),
            torch.nn.ReLU6(),
            torch.nn.Conv2d(wide, wide, 3, padding=1, groups=wide, bias=False),
            torch.nn.BatchNorm2d(wide), torch.nn.ReLU6(),
            torch.nn.Conv2d(wide, channels, 1, bias=False), torch.nn.BatchNorm2d(channels))

    def forward(self, x):
        return x + self.block(x)


def test_an_inverted_residual_block_converts_to_full_int8_and_runs_in_tflm(tmp_path):
    torch.manual_seed(SEED)
    block = InvertedResidual().eval()
    x = np.random.default_rng(SEED).normal(size=(64, 8, 12, 12)).astype(np.float32)
    made = edgetf.emit_firmware(block, board="esp32s3", out=tmp_path / "fw", data=x)
    model = read_tflite(made.tflite)
    assert made.quantization == "int8"
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD"} <= set(model.op_names())
    tensor = model.input_tensors()[0]
    (out,) = run_tflm(made.tflite, [quantize(x[:4].transpose(0, 2, 3, 1), tensor)])
    with torch.no_grad():
        expected = block(torch.from_numpy(x[:4])).numpy()
    assert list(model.output_tensors()[0].shape) == [1, 8, 12, 12]  # outputs keep NCHW
    got = dequantize(np.asarray(out), model.output_tensors()[0]).reshape(expected.shape)
    assert np.abs(got - expected).mean() < 0.1 * np.abs(expected).mean()


def test_a_torch_model_needs_calibration_data(trained, tmp_path):
    with pytest.raises(ConfigError, match=r"^a PyTorch model needs data="):
        edgetf.emit_firmware(trained, board="esp32", out=tmp_path / "fw")
    assert not (tmp_path / "fw").exists()
