"""Where the project's own files are: the one definition of the repository root."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
