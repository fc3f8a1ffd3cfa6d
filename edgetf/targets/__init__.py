"""The boards: their table, the arena each declares (the planner's figure for the board's
own TFLM build and kernel library, :mod:`.board_arena` and :mod:`.planner`), flash
footprint, latency estimates, and what each board's TFLM build gets wrong or refuses.

May import :mod:`edgetf.base`, :mod:`edgetf.tflite` and :mod:`edgetf.tflm`.
"""
