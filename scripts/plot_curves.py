#!/usr/bin/env python3
"""Runs `yendor-plot` (python/yendor_env/plot.py) without installing the package: standard library only."""
import importlib.util
import os

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python", "yendor_env", "plot.py")
spec = importlib.util.spec_from_file_location("yendor_plot", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
module.main()
