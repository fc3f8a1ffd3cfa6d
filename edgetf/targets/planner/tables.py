"""Every kernel table the planner has, by name: one per TFLM build a board runs.

A board names its table (:attr:`edgetf.targets.boards.Board.arena_table`); each table
carries all of its build's facts (struct layout, kernels, allocator rules, the inputs its
kernels read in Prepare). A table that lacks an op of the model makes the board fall back
to the host measurement times the board's measured margin, and say so.
"""

from __future__ import annotations

from edgetf.targets.planner.kernels import KernelTable
from edgetf.targets.planner.kernels_chirale import CHIRALE_2_0_0_CMSIS_NN
from edgetf.targets.planner.kernels_esp import ESP_NN_ANSI, ESP_NN_ESP32, ESP_NN_ESP32S3
from edgetf.targets.planner.kernels_reference import REFERENCE_64

TABLES: dict[str, KernelTable] = {
    table.name: table
    for table in (REFERENCE_64, CHIRALE_2_0_0_CMSIS_NN, ESP_NN_ESP32, ESP_NN_ESP32S3,
                  ESP_NN_ANSI)
}
