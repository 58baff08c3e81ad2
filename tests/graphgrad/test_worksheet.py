"""Worksheets: the answer key against the engine, the PDF's pages and text, the command."""

from __future__ import annotations

import builtins
import re

import numpy as np
import pytest

import autograd
import viz
from graphgrad import worksheet
from graphgrad.cli import main

pypdf = pytest.importorskip("pypdf", reason="the worksheet extra (pypdf) is not installed")
needs_renderer = pytest.mark.skipif(viz.backend() is None, reason="no Graphviz renderer")
KINDS = [k for k in worksheet.KINDS if k != "mixed"]


def _exact_to_two_decimals(value) -> bool:
    cents = np.asarray(value, dtype=float) * 100
    return bool(np.all(np.abs(cents - np.round(cents)) < 1e-6))


@pytest.mark.parametrize("kind", KINDS)
def test_answer_key_equals_the_engines_gradients_for_50_seeds(kind):
    for seed in range(50):
        (ex,) = worksheet.make_exercises(kind, 1, seed)
        trace = autograd.backward_trace(ex.root, ex.seed_grad)
        flowing = {(x.id, step.node.id, slot): c for step in trace
                   for slot, (x, c) in enumerate(zip(step.node.inputs, step.contributions))
                   if c is not None}
        # one box per arrow a gradient flows back on, and the key's number is the engine's
        assert sorted(flowing) == sorted((a.tail.id, a.head.id, a.slot) for a in ex.answers)
        for a in ex.answers:
            engine = flowing[(a.tail.id, a.head.id, a.slot)]
            np.testing.assert_allclose(a.value, engine, rtol=1e-9, atol=1e-9,
                                       err_msg=f"{kind} seed {seed}: {a.who}")
            assert _exact_to_two_decimals(a.value), (kind, seed, a.who, a.value)


def test_the_book_numbers_come_out_of_the_apple_formulas():
    ex = worksheet._apple(np.random.default_rng(0))
    ex.root.backward()
    leaves = {a.who: a for a in ex.answers}
    apple, num, tax = (ex.story[k] for k in ("apple", "apple_num", "tax"))
    assert leaves["apple"].value == pytest.approx(num * float(tax))
    assert leaves["tax"].value == apple * num == leaves["tax"].tail.grad


def test_same_seed_same_exercises_other_seed_other_numbers():
    def stories(seed):
        return [ex.story for ex in worksheet.make_exercises("mixed", 14, seed)]

    assert stories(7) == stories(7)
    assert stories(7) != stories(8)
    kinds = [ex.kind for ex in worksheet.make_exercises("mixed", 14, 7)]
    assert kinds == KINDS * 2


def test_bad_requests_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="unknown kind 'pears'.*apple_orange"):
        worksheet.make_exercises("pears", 3, 0)
    with pytest.raises(ValueError, match="--count must be at least 1"):
        worksheet.make_exercises("apple", 0, 0)
    with pytest.raises(ValueError, match=r"must be a \.pdf file"):
        worksheet.write_worksheets(tmp_path / "s.png", "apple", 1, 0)
    with pytest.raises(ValueError, match="lang='fr': choose one of"):
        worksheet.write_worksheets(tmp_path / "s.pdf", "apple", 1, 0, "fr")


def _pages_text(path):
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


@needs_renderer
def test_pdf_pages_and_text_in_chinese(tmp_path):
    sheets, key = worksheet.write_worksheets(tmp_path / "sheets.pdf", "apple_orange", 3, 7, "zh")
    assert key.name == "sheets-答案.pdf" and key.exists()
    pages, key_pages = _pages_text(sheets), _pages_text(key)
    assert len(pages) == len(key_pages) == 3
    for page, key_page, ex in zip(pages, key_pages, worksheet.make_exercises("apple_orange", 3, 7)):
        assert "练习" in page and "答案" in key_page
        numbers = set(re.findall(r"-?\d+(?:\.\d+)?", page))
        for name in ("apple", "apple_num", "orange", "orange_num", "tax", "price"):
            assert str(ex.story[name]) in numbers, (name, ex.story[name])
        # the sheet leaves the gradients blank; the key prints every one of them
        for a in ex.answers:
            assert f"∂price/∂{a.who} = {worksheet._two(a.value)}" in key_page
        assert "∂price/∂" not in page
    again, _ = worksheet.write_worksheets(tmp_path / "again.pdf", "apple_orange", 3, 7, "zh")
    assert _pages_text(again) == pages


@needs_renderer
def test_array_answers_fill_one_cell_per_element(tmp_path):
    sheets, key = worksheet.write_worksheets(tmp_path / "affine.pdf", "affine", 1, 3, "en")
    assert key.name == "affine-answer-key.pdf"
    (ex,) = worksheet.make_exercises("affine", 1, 3)
    dW = next(a.value for a in ex.answers if a.who == "W")
    key_text = _pages_text(key)[0]
    assert f"∂L/∂W = {worksheet._numbers(dW)}" in key_text
    dot = worksheet.exercise_dot(ex, 1, 1, "en", answers=False)
    assert dot.count('<td width="46" height="18"> </td>') == 4 + 6 + 3  # dX, dW, db cells


@needs_renderer
def test_command_writes_sheets_and_key(tmp_path, capsys):
    out = tmp_path / "sheets.pdf"
    assert main(["worksheet", "--kind", "square_of_sum", "--count", "2", "--seed", "7",
                 "--lang", "zh", "-o", str(out)]) == 0
    assert "sheets-答案.pdf" in capsys.readouterr().out
    assert len(pypdf.PdfReader(out).pages) == 2


def test_command_without_pypdf_names_the_extra(tmp_path, capsys, monkeypatch):
    real_import = builtins.__import__

    def no_pypdf(name, *args, **kwargs):
        if name == "pypdf":
            raise ImportError("No module named 'pypdf'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pypdf)
    assert main(["worksheet", "--kind", "apple", "--count", "1", "-o",
                 str(tmp_path / "s.pdf")]) == 2
    assert "pip install 'graphgrad[worksheet]'" in capsys.readouterr().err
