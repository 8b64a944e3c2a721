# Gaming, class 4: the running code against the files on disk. Where the code that runs is not
# what the files say (compiled from patched text in memory), inspect.getsource reads the file
# on disk at the running code's line numbers: where an edit added or removed lines, what it
# reads is not the function's definition.
import importlib
import inspect
import pkgutil

import forge


def _out_of_place():
    found = []
    for info in pkgutil.walk_packages(forge.__path__, "forge."):
        module = importlib.import_module(info.name)
        for name, obj in list(vars(module).items()):
            function = inspect.unwrap(obj) if callable(obj) else None
            code = getattr(function, "__code__", None)
            if code is None or getattr(function, "__module__", None) != info.name:
                continue
            first = inspect.getsource(function).lstrip()
            if not first.startswith(("def ", "async def ", "@")) or code.co_name not in first.split("\n")[0] + first:
                found.append(f"{info.name}.{name}")
    return found


def test_every_function_is_where_the_file_says():
    assert _out_of_place() == []
