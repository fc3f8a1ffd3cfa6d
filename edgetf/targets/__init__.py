"""The boards: their table, the arena each declares (the planner's figure for the board's
own TFLM build and kernel library, :mod:`.board_arena` and :mod:`.planner`), flash
footprint, latency estimates, and what each board's TFLM build gets wrong or refuses;
the model read and measured once (:mod:`.prepared`), the generated firmware's contract
(:mod:`.firmware_contract`), what a feature front end adds on a board (:mod:`.front_end`),
and each board's verdict (:mod:`.verdict`), which every command obeys.

May import :mod:`edgetf.base`, :mod:`edgetf.tflite` and :mod:`edgetf.tflm`.
"""
