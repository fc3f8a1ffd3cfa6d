"""Which extra a missing package belongs to, and the one line that says how to install it."""

from __future__ import annotations

import importlib.util

import pytest

from edgetf.base.tf_import import MissingExtraError, missing_extra, require_extra


def test_a_missing_package_of_an_extra_names_the_pip_install():
    error = missing_extra(ModuleNotFoundError("no", name="optuna.storages"), "edgetf tune")
    assert isinstance(error, MissingExtraError)
    assert str(error) == ("edgetf tune needs optuna, which is not installed (the base install "
                          "of edgetf leaves it out); install it with: "
                          "pip install 'edgetf[train]'")


def test_other_errors_are_not_about_extras():
    assert missing_extra(ModuleNotFoundError("no", name="edgetf.nothing"), "x") is None
    assert missing_extra(ValueError("tensorflow"), "x") is None


def test_require_extra_lists_what_is_missing(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name: None if name in ("sklearn", "optuna") else real(name))
    with pytest.raises(MissingExtraError, match=r"^edgetf validate needs scikit-learn, optuna, "
                       r"which are not installed .*pip install 'edgetf\[train\]'$"):
        require_extra("train", "edgetf validate")
    monkeypatch.setattr(importlib.util, "find_spec", real)
    require_extra("train", "edgetf validate")  # the full install has them all
