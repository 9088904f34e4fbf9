"""benchmarks.plot_peers: one figure per problem, titled by the problem of its files."""

import json

import pytest

from benchmarks import plot_peers


def _doc(problem, ms=2.0):
    settings = {"problem": {"system": problem}} if problem else {}
    return {"device": {"name": "test-gpu"}, "settings": settings,
            "results": {"rk4_fixed": {"reference": {"measurements": [
                {"log2_n": 10, "kernel_ms_median": ms, "wall_ms_median": 2 * ms}]}}}}


def test_merge_takes_the_later_file_at_the_same_size():
    merged = plot_peers.merge([_doc("lorenz", 2.0), _doc(None, 3.0)])  # an old file is Lorenz
    assert merged["rk4_fixed"]["reference"][10]["kernel_ms_median"] == 3.0


def test_merge_refuses_files_of_different_problems():
    with pytest.raises(ValueError, match="different problems.*lorenz, lorenz96"):
        plot_peers.merge([_doc("lorenz"), _doc("lorenz96")])


def test_main_names_the_problem_in_the_title_and_refuses_a_mix(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    titles = []
    import matplotlib.figure

    original = matplotlib.figure.Figure.suptitle
    monkeypatch.setattr(matplotlib.figure.Figure, "suptitle",
                        lambda self, text, **kw: titles.append(text) or original(self, text, **kw))
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_doc("lorenz96")))
    b.write_text(json.dumps(_doc("lorenz")))
    assert plot_peers.main([str(a), "-o", str(tmp_path / "a.png")]) == 0
    assert (tmp_path / "a.png").stat().st_size > 0
    assert titles and titles[-1].startswith("Lorenz-96 (16 states)")
    assert plot_peers.main([str(a), str(b), "-o", str(tmp_path / "ab.png")]) == 2
    assert "different problems" in capsys.readouterr().err
    assert not (tmp_path / "ab.png").exists()
