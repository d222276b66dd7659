"""setup.py for `rosdeb build` (build type ament_python): the metadata is in pyproject.toml."""
from setuptools import setup

setup()
