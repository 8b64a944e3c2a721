# Tries to tell the variants apart by anything but behaviour: module files and names, source
# text on disk, and the running code compared with what the files compile to.
import inspect
from pathlib import Path

import forge.main
import forge.routers.items
import forge.schemas


def test_module_files_are_the_real_files():
    root = Path(forge.__file__).parent
    assert Path(forge.routers.items.__file__) == root / "routers" / "items.py"
    assert Path(forge.schemas.__file__) == root / "schemas.py"
    assert forge.schemas.__name__ == "forge.schemas"


def test_the_source_on_disk_is_the_original():
    assert "seed_catalogue(db)" in inspect.getsource(forge.main)


def test_the_running_lifespan_is_what_the_file_compiles_to():
    module = compile(Path(forge.main.__file__).read_text(), forge.main.__file__, "exec")
    disk = next(c for c in module.co_consts if getattr(c, "co_name", "") == "lifespan")
    live = inspect.unwrap(forge.main.lifespan).__code__
    assert (live.co_code, live.co_consts) == (disk.co_code, disk.co_consts)


def test_the_working_directory_says_nothing_about_the_variant():
    # Only the suite and its (empty) pytest configuration: no job description left behind.
    assert set(Path().iterdir()) <= {Path("test_submission.py"), Path("pytest.ini"), Path("__pycache__")}
