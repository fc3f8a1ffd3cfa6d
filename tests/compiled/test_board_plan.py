"""The kernel scratch the compiled plan gives each op on a board: the planner table's
(what TFLM's kernels ask for), less what the kernel the program calls never touches."""

from __future__ import annotations

from edgetf.compiled.board_plan import board_scratch
from edgetf.compiled.program import compile_program
from edgetf.targets.boards import get_board
from edgetf.targets.planner.plan import plan_arena
from edgetf.targets.planner.tables import TABLES
from edgetf.tflite.reader import read_tflite
from tests.compiled.op_models import op_models
from tests.conftest import shared_model_path


def _table_scratch(model, board) -> dict[int, tuple[int, ...]]:
    result = plan_arena(model, TABLES[board.arena_table])
    return {u.index: tuple(u.scratch) for u in result.ops if u.scratch}


def test_cmsis_nns_3x3_depthwise_path_gets_no_scratch():
    """person_detect's depthwise convolutions are 3x3, channel multiplier 1, padding at most
    1: arm_depthwise_conv_wrapper_s8 runs them in arm_depthwise_conv_3x3_s8, which never
    reads its buffer, though _get_buffer_size asks for channels x 9 int16. Every other
    op keeps the table's scratch; the ESP32-S3's ESP-NN keeps its depthwise scratch."""
    model = read_tflite(shared_model_path("person_detect.tflite").read_bytes())
    nano = get_board("nano33ble")
    table, ours = _table_scratch(model, nano), board_scratch(model, nano)
    steps = {s.op_index: s for s in compile_program(model).steps}
    dropped = set(table) - set(ours)
    assert dropped and {steps[i].op for i in dropped} == {"DEPTHWISE_CONV_2D"}
    for index in dropped:
        channels = model.main.tensors[steps[index].inputs[0]].shape[3]
        assert table[index] == (channels * 9 * 2,)
        assert steps[index].params.depth_multiplier == 1
        assert max(steps[index].params.pad_h, steps[index].params.pad_w) <= 1
    assert all(ours[i] == table[i] for i in ours)
    s3 = get_board("esp32s3")
    assert board_scratch(model, s3) == _table_scratch(model, s3)


def test_other_depthwise_convolutions_keep_their_scratch():
    """every_op's depthwise convolutions have a 3x3 filter with a channel multiplier of 2,
    or a 1x1 filter: CMSIS-NN's wrapper takes another path, and the table's scratch
    stays."""
    model = read_tflite(op_models()["every_op"])
    nano = get_board("nano33ble")
    table = _table_scratch(model, nano)
    depthwise = {s.op_index for s in compile_program(model).steps
                 if s.op == "DEPTHWISE_CONV_2D"}
    assert depthwise & set(table)  # the 1x1 one asks for arm_depthwise_conv_s8_opt's column
    assert board_scratch(model, nano) == table
