"""Reading a ``--config`` TOML file: one place for its one-line errors, shared by
train-quantize, tune, features and emit-firmware."""

from __future__ import annotations

from pathlib import Path

from edgetf.base.errors import ConfigError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


def read_toml(path: Path) -> dict:
    """A config file's TOML document; a missing, unreadable or invalid file is one line."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found; check the --config path") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the config file ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error}); fix the syntax") from None
