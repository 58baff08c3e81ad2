"""The message catalogue: both languages everywhere, same fields, the book's terms."""

import re

import pytest

from autograd import ops
from viz import messages
from viz.messages import LANGS, MESSAGES, check_lang, message, op_description, op_term


def test_every_entry_has_both_languages_with_the_same_fields():
    messages._check_catalogue(MESSAGES)
    assert LANGS == ("en", "zh")
    for key, entry in MESSAGES.items():
        for lang in LANGS:
            assert entry[lang].strip(), f"{key} is empty in {lang}"


def test_the_check_catches_a_missing_language_and_a_renamed_field():
    with pytest.raises(AssertionError, match="languages"):
        messages._check_catalogue({"k": {"en": "x"}})
    with pytest.raises(AssertionError, match="fields"):
        messages._check_catalogue({"k": {"en": "{a}", "zh": "{b}"}})


def test_chinese_entries_are_chinese():
    # Every Chinese entry that has words (not only symbols and fields) contains Han characters.
    han = re.compile(r"[\u4e00-\u9fff]")
    for key, entry in MESSAGES.items():
        words = re.sub(r"\{[^}]*\}", "", entry["en"])
        if re.search(r"[A-Za-z]{3,}", words) and entry["en"] != entry["zh"]:
            assert han.search(entry["zh"]), f"{key}: {entry['zh']!r} has no Chinese"


def test_the_issue_example_caption():
    text = message("caption.calc", "zh", who="apple", up="1.1", local="2", out="2.2")
    assert text == "→ apple：上游梯度 1.1 × 局部导数 2 = 2.2"
    assert message("caption.calc", who="apple", up="1.1", local="2", out="2.2") == \
        "→ apple: 1.1 × 2 = 2.2"


def test_panel_labels_use_the_book_terms():
    got = [message(f"panel.{k}", "zh") for k in ("formula", "derivative", "inputs", "value",
                                                 "gradient")]
    assert got == ["公式", "局部导数", "输入", "值", "梯度"]
    assert message("explorer.forward", "zh") == "正向传播"
    assert message("explorer.backward", "zh") == "反向传播"
    assert "上游传来的导数" in message("caption.upstream", "zh", who="x", value="1")


def test_ops_have_the_book_names():
    assert op_term(ops.Mul, "zh") == "乘法节点"
    assert op_term(ops.Add, "zh") == "加法节点"
    assert op_term(ops.CrossEntropy, "zh") == "Softmax-with-Loss 层"
    assert op_term(ops.Mul) == "multiply node"
    from nn.layers import AffineOp

    assert op_term(AffineOp, "zh") == "Affine 层"
    assert "乘法节点" in op_description(ops.Mul, "zh")


def test_every_engine_op_has_a_term_and_a_description():
    import inspect

    from nn import layers

    for module in (ops, layers):
        for cls in vars(module).values():
            if inspect.isclass(cls) and issubclass(cls, ops.Op) and cls is not ops.Op:
                assert f"op.{cls.name}" in MESSAGES, cls.__name__
                assert f"op.{cls.name}.term" in MESSAGES, cls.__name__


def test_unknown_ops_fall_back():
    class Custom:
        name, symbol = "my_op", "☆"

    assert op_term(Custom, "zh") == "☆"
    assert op_description(Custom, "zh", fallback="my docstring") == "my docstring"


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match=r"lang='fr'.*'en', 'zh'"):
        message("panel.value", "fr")
    with pytest.raises(ValueError, match="lang='zh-CN'"):
        check_lang("zh-CN")
    assert check_lang("zh") == "zh"
    with pytest.raises(KeyError, match="no message 'panel.nope'"):
        message("panel.nope")
    with pytest.raises(KeyError, match="needs field 'who'"):
        message("caption.calc", "zh", up="1", local="2", out="2")


def test_messages_for_selects_by_prefix():
    panel = messages.messages_for(("panel.",))
    assert panel["panel.value"] == {"en": "value", "zh": "值"}
    assert all(k.startswith("panel.") for k in panel)
