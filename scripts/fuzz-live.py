#!/usr/bin/env python3
"""Live fuzzer for Yendor's roles (issue 14): the command. The fuzzer itself is the package
scripts/fuzzlive/ (its docstring, which is also this command's --help, says what it does and how);
scripts/fuzz-live.sh runs this with the project's .venv."""
import os
import sys

# scripts/ holds both the package and the reference client it imports (yendor_wire.py).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fuzzlive.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
