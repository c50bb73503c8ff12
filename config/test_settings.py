"""Settings for the test suite: this project's defaults, whatever this checkout's `.env` or the
shell's variables say, so that `uv run pytest` gives the same result on every machine.

Every variable that `.env.sample` documents is set to blank here: blank counts as unset, and
`.env` cannot fill a variable that the environment already has. Tests set what they need.
"""

import os
from pathlib import Path

from config.env import read_env_file

_sample = read_env_file(Path(__file__).resolve().parent.parent / ".env.sample")
for _name in set(_sample.values) | _sample.commented_keys:
    os.environ[_name] = ""

from config.settings import *  # noqa: E402, F403
