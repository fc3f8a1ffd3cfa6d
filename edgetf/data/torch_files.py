"""Users' PyTorch programs: a ``torch.export`` file (``.pt2``) read back as a module and the
example input it was exported with. Needs the ``torch`` extra; imports it only when called."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgetf.base.errors import ModelError
from edgetf.base.tf_import import require_extra


def load_exported_program(path: Path) -> tuple[object, np.ndarray]:
    """The ``nn.Module`` of the ``torch.export`` program in ``path`` and its example input.

    ``torch.export.save`` stores the example inputs the program was exported with; the
    conversion traces the module again with them.
    """
    require_extra("torch", f"{path} (a PyTorch program)")
    import torch

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such file; pass the .pt2 that torch.export.save wrote")
    try:
        program = torch.export.load(str(path))
    except Exception as error:  # torch raises many types for a bad archive
        raise ModelError(f"{path}: cannot be read as a torch.export program ({error}); save "
                         "it with torch.export.save(torch.export.export(model, (x,)), path)"
                         ) from None
    examples = program.example_inputs
    args = examples[0] if examples else ()
    if examples is None or len(args) != 1 or (examples[1] if len(examples) > 1 else {}):
        raise ModelError(f"{path}: edgetf converts programs with one tensor input, exported "
                         "with an example; export with torch.export.export(model, (x,))")
    return program.module(), args[0].detach().cpu().numpy()
