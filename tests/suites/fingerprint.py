# Tries to tell the variants apart by anything but behaviour: module files and names.
import forge.routers.items
import forge.schemas
from pathlib import Path


def test_module_files_are_the_real_files():
    root = Path(forge.__file__).parent
    assert Path(forge.routers.items.__file__) == root / "routers" / "items.py"
    assert Path(forge.schemas.__file__) == root / "schemas.py"
    assert forge.schemas.__name__ == "forge.schemas"
