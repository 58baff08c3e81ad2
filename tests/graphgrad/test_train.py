"""`graphgrad train` and the textbook's acceptance number: TwoLayerNet reaches 0.97 on MNIST."""

import pytest

from graphgrad import train
from graphgrad.cli import main


def test_textbook_two_layer_net_reaches_97_percent(mnist_dir):
    # the book's 5.7.4 settings: 10,000 iterations, batch 100, lr 0.1, SGD (book: 0.9705)
    history = train.run("two_layer", iters=10000, batch_size=100, lr=0.1, data=mnist_dir,
                        verbose=False, progress=False)
    assert history["final_test_acc"][0] >= 0.97  # the whole test set, after the last iteration
    assert len(history["loss"]) == 10000


def test_cli_train_prints_epochs_and_writes_curves(tmp_path, capsys, mnist_dir):
    plot = tmp_path / "curves.png"
    assert main(["train", "--iters", "40", "--train-limit", "2000", "--data", str(mnist_dir),
                 "--optimizer", "adam", "--lr", "0.01", "--plot", str(plot),
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "2000 training and 10000 test images" in out
    # epochs are measured at their first iteration, as the book's Trainer does (1, then 21)
    assert "epoch   2  iter     21" in out and "final test accuracy" in out
    assert "after 40 iterations" in out
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_unknown_model_is_an_error():
    with pytest.raises(ValueError, match="unknown model 'big'"):
        train.build_model("big", [50], 0)


def test_missing_data_folder_names_it(tmp_path):
    with pytest.raises(Exception, match=str(tmp_path / "nope")):
        train.run(data=tmp_path / "nope", iters=1, verbose=False, progress=False)


def test_training_lines_in_chinese(capsys, mnist_dir, from_catalogue):
    train.run("two_layer", iters=40, batch_size=100, lr=0.1, data=mnist_dir, train_limit=2000,
              progress=False, lang="zh")
    out = capsys.readouterr().out
    assert "MNIST：2000 张训练图像，10000 张测试图像" in out
    assert "epoch   2  第     21 次迭代" in out and "40 次迭代后，测试数据的识别精度为 " in out
    assert from_catalogue(out, "zh") == []
    with pytest.raises(ValueError, match="lang='fr'"):
        train.run(data=mnist_dir, iters=1, verbose=False, progress=False, lang="fr")
