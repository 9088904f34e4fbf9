"""What the command-line tests share: a small problem and ``planner`` run as a subprocess."""

import json
import pathlib
import subprocess
import sys

# MiniMalloc's benchmark instances in ../shared beside the repository (the tests that read them skip without it)
CHALLENGING = pathlib.Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "minimalloc-challenging"
PLANNERS = ("cpsat", "greedy", "sequential")

PROBLEM = {
    "precision": "float32", "block_size": 64, "device": "h100",
    "buffers": [
        {"name": "k.a", "size": 8, "location": "shared", "lifetime": [[0, 4]], "weight": 2.0},
        {"name": "k.b", "size": 4, "lifetime": [[2, 6]]},
        {"name": "k.c", "size": 6, "lifetime": [[4, 8]]},
        {"name": "k.l", "size": 3, "location": "local", "lifetime": [[0, 8]]},
        {"name": "k.p", "size": 2, "location": "local", "persistent": True},
        {"name": "k.v", "size": 2, "view_of": "k.a", "view_offset": 3},
    ],
}


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "planner.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def write_json(path, data):
    path.write_text(json.dumps(data))
    return path
