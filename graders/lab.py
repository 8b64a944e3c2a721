"""Start JupyterLab on the course: `make start` (learners) and `make instructor`.

    python -m graders.lab [--instructor] [--port N] [--root DIR] [--token TOKEN]

Both open the course map (START.ipynb), listen on 127.0.0.1 only and never ask about
JupyterLab's news. Learners see the course (lessons, exercises, the app under test) and
not the machinery: the grader, the reference solutions, the project's tests and the build
files are left out of the file browser, and nbgrader's instructor tools (creating
assignments, the formgrader, course and assignment lists) are switched off. Instructors see
every file and every nbgrader tool.

The JupyterLab settings for each role are written, from the data below, into the
environment's own share directory: nothing in the learner's home changes.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from graders.build import ROOT, START_PAGE, tools_path

# What learners do not need to see: instructor and developer files (glob patterns on names).
MACHINERY = ["benchmarks", "graders", "notebooks", "solutions", "tests", "*.egg-info", "Makefile",
             "pyproject.toml", "environment.yml", "nbgrader_config.py", "AUTHORING.md",
             "gradebook.db", "release", "source", "submitted", "autograded", "feedback", "*.log"]
ALWAYS_HIDDEN = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~"]  # jupyter_server's defaults
INSTRUCTOR_TOOLS = ["@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
                    "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:assignment-list",
                    "@jupyter/nbgrader:menu"]
SETTINGS = {  # JupyterLab settings overrides, for both roles
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # Every cell stays in the page once drawn (JupyterLab's default draws only what is on
    # screen): the browser's find and a long lesson's outputs work across the whole notebook.
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "defer"},
}


def settings_dir(role: str) -> Path:
    """JupyterLab's app settings for this role: `overrides.json` and `page_config.json`."""
    folder = Path(sys.prefix) / "share" / "fastapi-testing-course" / role
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overrides.json").write_text(json.dumps(SETTINGS, indent=1))
    disabled = INSTRUCTOR_TOOLS if role == "learner" else []
    (folder / "page_config.json").write_text(json.dumps({"disabledExtensions": disabled}, indent=1))
    return folder


def config(role: str, root: Path) -> Path:
    """A Jupyter config file for this role, serving `root`."""
    hidden = ALWAYS_HIDDEN + (MACHINERY if role == "learner" else [])
    data = {
        "ServerApp": {"root_dir": str(root), "ip": "127.0.0.1", "open_browser": False},
        "LabApp": {"default_url": f"/lab/tree/{START_PAGE}", "app_settings_dir": str(settings_dir(role))},
        "ContentsManager": {"hide_globs": hidden},
    }
    path = settings_dir(role) / "jupyter_config.json"
    path.write_text(json.dumps(data, indent=1))
    return path


def command(role: str = "learner", port: int = 8888, root: Path = ROOT, token: str | None = None) -> list[str]:
    """The command that serves the course to `role` ("learner" or "instructor")."""
    args = [sys.executable, "-m", "jupyter", "lab", f"--config={config(role, root)}", f"--port={port}"]
    if os.geteuid() == 0:
        args.append("--allow-root")  # JupyterLab refuses root unless told (containers, CI machines)
    if token is not None:
        args.append(f"--IdentityProvider.token={token}")
    return args


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m graders.lab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instructor", action="store_true", help="every file and nbgrader's instructor tools")
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--root", type=Path, default=ROOT, help="the course directory to serve")
    parser.add_argument("--token", help="the server's token (default: a random one, in the printed URL)")
    args = parser.parse_args(argv)
    role = "instructor" if args.instructor else "learner"
    serve = command(role, args.port, args.root.resolve(), args.token)
    # The formgrader runs nbgrader's tools (`alembic`) by name, from this environment.
    os.execve(serve[0], serve, dict(os.environ, PATH=tools_path()))


if __name__ == "__main__":
    main()
