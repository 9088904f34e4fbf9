"""The on-disk compile cache: its entries, its choices, and a second process that skips NVVM and ptxas."""

import os
import shutil
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_helpers import gpu, on_gpu, run_on_cuda_target

import kernels
from kernels.compile_cache import ENV_VAR, CompileCache, as_compile_cache, cached_ptxas, default_directory
from kernels.errors import ConfigurationError
from kernels.resources import ptxas_path


def _offline(cache):
    cache._versions.update(ptx="test", cubin="test", ptxas="test")  # no tools needed for the keys here
    return cache


@pytest.fixture()
def cache(tmp_path):
    return _offline(CompileCache(tmp_path / "cache"))


def test_an_entry_comes_back_as_stored_and_counts_a_hit(cache):
    key = cache.key("ptx", "options", "module one", "module two")
    assert cache.load("ptx", key) is None
    cache.store("ptx", key, b"// ptx\n")
    assert cache.load("ptx", key) == b"// ptx\n"
    assert (cache.stats["ptx_misses"], cache.stats["ptx_hits"]) == (1, 1)
    assert cache.size_bytes() > len(b"// ptx\n")


@settings(max_examples=40, deadline=None)
@given(parts=st.lists(st.binary(max_size=6), min_size=1, max_size=4), extra=st.binary(min_size=1, max_size=3))
def test_keys_separate_parts_and_kinds(parts, extra):
    cache = _offline(CompileCache("/nonexistent-never-written"))
    base = cache.key("ptx", *parts)
    assert base == cache.key("ptx", *parts)
    assert base != cache.key("cubin", *parts)
    assert base != cache.key("ptx", *parts, extra)
    if len(parts) >= 2:  # two parts joined into one are another key
        assert base != cache.key("ptx", parts[0] + parts[1], *parts[2:])


def test_a_corrupt_or_truncated_entry_is_a_miss_and_is_removed(cache):
    for damage in (lambda blob: blob[:-1], lambda blob: blob[:-1] + bytes([blob[-1] ^ 1]), lambda blob: b"junk"):
        key = cache.key("ptx", repr(damage))
        cache.store("ptx", key, b"payload bytes")
        path = cache._path("ptx", key)
        with open(path, "rb") as fh:
            blob = fh.read()
        with open(path, "wb") as fh:
            fh.write(damage(blob))
        assert cache.load("ptx", key) is None
        assert not os.path.exists(path)
    assert cache.stats["errors"] == 3


def test_an_entry_copied_under_another_key_is_a_miss(cache):
    """A user's trial: another kernel's PTX file copied over this kernel's name was served as a hit."""
    mine, theirs = cache.key("ptx", "lorenz"), cache.key("ptx", "chain")
    cache.store("ptx", mine, b"lorenz ptx")
    cache.store("ptx", theirs, b"chain ptx")
    shutil.copyfile(cache._path("ptx", theirs), cache._path("ptx", mine))
    assert cache.load("ptx", mine) is None and cache.stats["errors"] == 1
    assert cache.load("ptx", theirs) == b"chain ptx"


def test_a_folder_under_the_home_folder_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert CompileCache("~/bp_cache").directory == str(tmp_path / "bp_cache")


def test_the_least_recently_used_entries_go_when_the_folder_is_full(tmp_path):
    cache = _offline(CompileCache(tmp_path, max_bytes=3000))
    keys = [cache.key("ptx", str(i)) for i in range(5)]
    for i, key in enumerate(keys):
        cache.store("ptx", key, bytes(900))
        os.utime(cache._path("ptx", key), (1000 + i, 1000 + i))
    assert cache.size_bytes() <= 3000
    assert cache.load("ptx", keys[-1]) is not None
    assert cache.load("ptx", keys[0]) is None
    cache.clear()
    assert cache.size_bytes() == 0


def test_a_cache_that_cannot_be_written_warns_once_and_compiles_on(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    cache = _offline(CompileCache(blocker / "cache"))
    with pytest.warns(RuntimeWarning, match=ENV_VAR):
        cache.store("ptx", cache.key("ptx", "a"), b"x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache.store("ptx", cache.key("ptx", "b"), b"x")
    assert cache.stats["errors"] == 2


def test_ptxas_counts_are_kept(cache):
    calls = []

    def count(ptx, cc, cap):
        calls.append(ptx)
        return (40, 0, 0, 0)

    assert cached_ptxas(cache, "ptx text", (9, 0), None, count) == (40, 0, 0, 0)
    assert cached_ptxas(cache, "ptx text", (9, 0), None, count) == (40, 0, 0, 0)
    assert cached_ptxas(cache, "ptx text", (9, 0), 64, count) == (40, 0, 0, 0)  # another cap, another key
    assert len(calls) == 2
    assert cached_ptxas(None, "ptx text", (9, 0), None, count) == (40, 0, 0, 0)


def test_the_choices_of_the_argument(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert as_compile_cache("default").directory == default_directory()
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert as_compile_cache("default") == CompileCache(tmp_path)
    for off in ("off", "0", ""):
        monkeypatch.setenv(ENV_VAR, off)
        assert as_compile_cache("default") is None
    assert as_compile_cache(None) is None and as_compile_cache(False) is None
    assert as_compile_cache(tmp_path).directory == str(tmp_path)
    given = CompileCache(tmp_path)
    assert as_compile_cache(given) is given
    integ = kernels.Integrator(kernels.lorenz(), "rk4", compile_cache=str(tmp_path))
    assert integ.compile_cache == CompileCache(tmp_path)


@pytest.mark.parametrize("value", [3, "", b"folder", ["x"]])
def test_a_wrong_argument_names_it(value):
    with pytest.raises(ConfigurationError, match="compile_cache"):
        kernels.Integrator(kernels.lorenz(), "rk4", compile_cache=value)
    with pytest.raises(ConfigurationError, match="CompileCache"):
        CompileCache("folder", max_bytes=0)
    assert CompileCache("folder", max_bytes=np.int64(10 ** 9)).max_bytes == 10 ** 9  # a NumPy integer is one


def test_solve_ivp_takes_a_cache_and_gives_the_same_numbers(tmp_path):
    y0, params = [1.0, 1.0, 1.0], [[10.0, 28.0, 8.0 / 3.0]]
    plain = kernels.solve_ivp(kernels.lorenz(), (0.0, 0.1), y0, params, method="rk4", dt=0.01, plan="local",
                              compile_cache=None)
    cached = kernels.solve_ivp(kernels.lorenz(), (0.0, 0.1), y0, params, method="rk4", dt=0.01, plan="local",
                               compile_cache=tmp_path)
    np.testing.assert_array_equal(plain.y, cached.y)


_SECOND_PROCESS = """
import json, sys
import kernels
cache = kernels.CompileCache(sys.argv[1])
integ = kernels.Integrator(kernels.lorenz(), "rk4", controller="fixed", compile_cache=cache)
resources = integ.build(integ.plan("local", block_size=128, device="h200")).resources()
print(json.dumps({"stats": cache.stats, "resources": str(resources)}))
"""


@pytest.mark.skipif(ptxas_path() is None, reason="needs ptxas (pip install 'bufferplan[compile]')")
@pytest.mark.skipif(on_gpu, reason="the offline path (PTX and ptxas); test_a_second_process_on_the_gpu_... on a GPU")
def test_a_second_process_skips_nvvm_and_ptxas(tmp_path):
    first = run_on_cuda_target(_SECOND_PROCESS, str(tmp_path))
    second = run_on_cuda_target(_SECOND_PROCESS, str(tmp_path))
    assert (first["stats"]["ptx_misses"], first["stats"]["ptxas_misses"]) == (1, 1)
    assert (second["stats"]["ptx_hits"], second["stats"]["ptxas_hits"]) == (1, 1)
    assert second["stats"]["ptx_misses"] == second["stats"]["errors"] == 0
    assert second["resources"] == first["resources"]


_GPU_PROCESS = """
import hashlib, json, sys
import numpy as np
import kernels
cache = kernels.CompileCache(sys.argv[1])
rho = np.linspace(0.0, 28.0, 512)
params = np.column_stack([np.full(512, 10.0), rho, np.full(512, 8.0 / 3.0)])
res = kernels.solve_ivp(kernels.lorenz(), (0.0, 1.0), [1.0, 1.0, 1.0], params, method="tsit5", rtol=1e-8,
                        atol=1e-8, precision=np.float64, plan="local", compile_cache=cache)
print(json.dumps({"stats": cache.stats, "ok": bool(res.success), "backend": res.backend,
                  "digest": hashlib.sha256(np.ascontiguousarray(res.y).tobytes()).hexdigest()}))
"""


@pytest.mark.gpu
@gpu
def test_a_second_process_on_the_gpu_reads_ptx_and_cubin(tmp_path):
    import json
    import subprocess
    import sys

    def run():
        done = subprocess.run([sys.executable, "-c", _GPU_PROCESS, str(tmp_path)], capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    first, second = run(), run()
    assert first["ok"] and second["ok"] and second["backend"] == "cuda"
    # NVVM runs once for the PTX and, when numba-cuda links with LTO (its default with nvJitLink), once more
    assert first["stats"]["ptx_misses"] >= 1 and first["stats"]["cubin_misses"] == 1
    assert (second["stats"]["ptx_hits"], second["stats"]["cubin_hits"]) == (first["stats"]["ptx_misses"], 1)
    assert second["stats"]["ptx_misses"] == second["stats"]["cubin_misses"] == second["stats"]["errors"] == 0
    assert second["digest"] == first["digest"]  # the same numbers, bit for bit


def test_off_as_the_argument_is_no_cache_as_in_the_environment_variable(tmp_path, monkeypatch):
    """compile_cache="off" made a folder ./off; it now turns the cache off, as BUFFERPLAN_COMPILE_CACHE=off does."""
    monkeypatch.chdir(tmp_path)
    for off in ("off", "OFF", " none ", "0"):
        assert as_compile_cache(off) is None
        assert kernels.Integrator(kernels.lorenz(), "rk4", compile_cache=off).compile_cache is None
    assert not any(tmp_path.iterdir())
    assert as_compile_cache(tmp_path / "off").directory == str(tmp_path / "off")  # a Path is always a folder


def test_on_words_mean_the_default_folder(tmp_path, monkeypatch):
    """BUFFERPLAN_COMPILE_CACHE=1 (or true, on) and compile_cache="on" made folders named 1, true, on here."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    for on in ("1", "true", "On", " yes "):
        monkeypatch.setenv(ENV_VAR, on)
        assert as_compile_cache("default").directory == default_directory()
        monkeypatch.delenv(ENV_VAR)
        assert as_compile_cache(on).directory == default_directory()
    assert as_compile_cache(True).directory == as_compile_cache("Default").directory == default_directory()
    assert as_compile_cache(1).directory == default_directory() and as_compile_cache(0) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing made here (the cache folder is made on a write)


def test_a_relative_xdg_cache_home_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert default_directory() == str(tmp_path / ".cache" / "bufferplan" / "kernels")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_directory() == str(tmp_path / "xdg" / "bufferplan" / "kernels")


def test_other_files_in_the_folder_are_left_alone(tmp_path):
    """A cache pointed at a project folder counted and deleted the user's own simulation_output.bin."""
    (tmp_path / "simulation_output.bin").write_bytes(bytes(5000))
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "ptx-notahexkey.bin").write_bytes(b"x")
    cache = _offline(CompileCache(tmp_path, max_bytes=4000))
    for i in range(6):
        cache.store("ptx", cache.key("ptx", str(i)), bytes(900))
    assert cache.size_bytes() <= 4000
    cache.clear()
    assert cache.size_bytes() == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "ptx-notahexkey.bin", "simulation_output.bin"]


def test_a_blank_path_or_a_file_is_not_a_cache_folder(tmp_path, monkeypatch):
    """compile_cache=" " made a folder named " "; a plain file failed later with "[Errno 17] File exists"."""
    monkeypatch.chdir(tmp_path)
    for blank in (" ", "\t\n"):
        with pytest.raises(ConfigurationError, match="compile_cache: expected a folder path"):
            kernels.Integrator(kernels.lorenz(), "rk4", compile_cache=blank)
        with pytest.raises(ConfigurationError, match="CompileCache directory: expected a folder path"):
            CompileCache(blank)
    assert not any(tmp_path.iterdir())
    a_file = tmp_path / "kernels.bin"
    a_file.write_text("not a folder")
    for value in (str(a_file), a_file):
        with pytest.raises(ConfigurationError, match="compile_cache: .* is a file, not a folder; give a folder"):
            kernels.Integrator(kernels.lorenz(), "rk4", compile_cache=value)
    with pytest.raises(ConfigurationError, match="CompileCache directory: .* is a file, not a folder"):
        CompileCache(a_file)
    monkeypatch.setenv(ENV_VAR, str(a_file))
    with pytest.raises(ConfigurationError, match=f"\\${ENV_VAR}: .* is a file, not a folder; .* or 'off'"):
        as_compile_cache("default")
    later = tmp_path / "later"  # a folder path that became a file after the cache was made
    cache = _offline(CompileCache(later))
    later.write_text("now a file")
    with pytest.warns(RuntimeWarning, match="cannot be written \\(it is a file, not a folder\\)"):
        cache.store("ptx", cache.key("ptx", "a"), b"x")
