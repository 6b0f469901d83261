"""Rewrite the settings table in README.md from SETTINGS in shop/config.py.

    .venv/bin/python scripts/settings_table.py

tests/core/test_config.py fails while the two differ.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's shop/

from shop.config import README, readme_with_settings

if __name__ == "__main__":
    README.write_text(readme_with_settings(README.read_text()))
    print(f"Rewrote the settings table in {README}.")
