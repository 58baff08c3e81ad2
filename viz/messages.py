"""Every sentence a learner reads, in English and Simplified Chinese, side by side.

The pictures, the backward-step frames, the HTML explorer and ``graphgrad demo`` take their text
from here and nowhere else, so the two languages cannot drift apart and a translation is fixed in
one place. The Chinese follows the terms of the Chinese edition of the book,
《深度学习入门：基于Python的理论与实现》 (chapter 5, 误差反向传播法): 计算图, 正向传播, 反向传播,
局部计算, 局部导数, 链式法则, 乘法节点, 加法节点, 乘法层, 加法层, 激活函数层, Affine 层,
Softmax-with-Loss 层, 梯度确认, 上游传来的导数.

Use::

    from viz.messages import message
    message("caption.calc", "zh", who="tax", up="1", local="650", out="650")
    # '→ tax：上游梯度 1 × 局部导数 650 = 650'

Fields are ``str.format`` fields; numbers are formatted by the caller (``viz.format_value``)
so both languages show exactly the same digits.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

__all__ = [
    "LANGS",
    "MESSAGES",
    "check_lang",
    "fields_of",
    "message",
    "messages_for",
    "op_description",
    "op_term",
]

#: The languages every message is written in: English and Simplified Chinese.
LANGS = ("en", "zh")

#: key -> {"en": ..., "zh": ...}. Keys are grouped by where the text appears:
#: ``caption.*`` step captions (frames and explorer), ``picture.*`` pictures and their
#: tooltips, ``explorer.*`` the HTML page, ``panel.*`` its side panel, ``demo.*`` the demo,
#: ``explore.*`` what ``graphgrad explore`` prints,
#: ``train.*`` the training lines of ``graphgrad train`` and the demo, ``font.*`` the
#: missing-font warning, ``watch.*`` the training-replay page,
#: ``op.<name>`` / ``op.<name>.term`` each op's description and its name in the book.
MESSAGES: dict[str, dict[str, str]] = {
    # ------------------------------------------------------------ step captions
    "caption.backward_head": {
        "en": "Step {k}/{n}: backward through {symbol}",
        "zh": "第 {k}/{n} 步：{symbol} 的反向传播",
    },
    "caption.forward_head": {
        "en": "Step {k}/{n}: forward through {symbol}",
        "zh": "第 {k}/{n} 步：{symbol} 的正向传播",
    },
    "caption.formula": {
        "en": "   ({formula})",
        "zh": "   （{formula}）",
    },
    "caption.upstream": {
        "en": "upstream gradient arriving at {who}: {value}",
        "zh": "上游传来的导数（到达 {who}）：{value}",
    },
    "caption.local": {
        "en": "local derivatives: {derivative}",
        "zh": "局部导数：{derivative}",
    },
    "caption.no_grad": {
        "en": "→ {who}: no gradient (requires_grad=False)",
        "zh": "→ {who}：不求梯度（requires_grad=False）",
    },
    "caption.calc": {
        "en": "→ {who}: {up} × {local} = {out}",
        "zh": "→ {who}：上游梯度 {up} × 局部导数 {local} = {out}",
    },
    "caption.sent": {
        "en": "→ {who}: {out}",
        "zh": "→ {who}：{out}",
    },
    # the same two lines with the op's local derivative, its numbers filled in (viz/text.py)
    "caption.calc_local": {
        "en": "→ {who}: {up} × {local} = {out}   ({derivative})",
        "zh": "→ {who}：上游梯度 {up} × 局部导数 {local} = {out}   （{derivative}）",
    },
    "caption.sent_local": {
        "en": "→ {who}: {out}   ({derivative})",
        "zh": "→ {who}：{out}   （{derivative}）",
    },
    "caption.paths_add": {
        "en": "   {who} is used on several paths, gradients add: {before} + {out} = {total}",
        "zh": "   {who} 用在多条路径上，梯度相加：{before} + {out} = {total}",
    },
    # a step inside the part of a big graph that is folded away (max_nodes): one short line
    "caption.folded_backward": {
        "en": "Step {k}/{n}: backward through {symbol}, in the folded part (not drawn)",
        "zh": "第 {k}/{n} 步：{symbol} 的反向传播，在折叠的部分中（未画出）",
    },
    "caption.folded_forward": {
        "en": "Step {k}/{n}: forward through {symbol}, in the folded part (not drawn)",
        "zh": "第 {k}/{n} 步：{symbol} 的正向传播，在折叠的部分中（未画出）",
    },
    "caption.forward_frame": {
        "en": "Forward pass: values flow left to right",
        "zh": "正向传播：值从左向右传递",
    },
    "caption.forward_calc": {
        "en": "{who} = {calc}",
        "zh": "{who} = {calc}",
    },
    "caption.forward_inputs": {
        "en": "inputs: {inputs}  →  output {out}",
        "zh": "输入：{inputs}  →  输出 {out}",
    },
    "caption.backward_start": {
        "en": "Step 0/{n}: the forward pass is done, no gradient computed yet.",
        "zh": "第 0/{n} 步：正向传播已完成，还没有计算任何梯度。",
    },
    "caption.backward_start_hint": {
        "en": "Step forward (→) to run backward one node at a time, from the output back.",
        "zh": "按“下一步”（→），从输出开始逐个节点进行反向传播。",
    },
    "caption.backward_none": {
        "en": "This graph has no operation to backpropagate through.",
        "zh": "这个计算图中没有可以反向传播的运算。",
    },
    "caption.forward_start": {
        "en": "Forward step 0/{n}: only the inputs are known.",
        "zh": "正向传播第 0/{n} 步：只知道输入的值。",
    },
    "caption.forward_start_hint": {
        "en": "Step forward (→) to compute one operation at a time.",
        "zh": "按“下一步”（→），一次进行一个局部计算。",
    },
    # ------------------------------------------------------------ pictures
    "picture.output_of": {
        "en": "output of {symbol}",
        "zh": "{symbol} 的输出",
    },
    "picture.output": {
        "en": "output",
        "zh": "输出",
    },
    "picture.output_tooltip": {
        "en": "the output of the graph",
        "zh": "计算图的输出",
    },
    "picture.param": {
        "en": "parameter (requires_grad)",
        "zh": "参数（requires_grad）",
    },
    "picture.input": {
        "en": "input / constant",
        "zh": "输入 / 常数",
    },
    "picture.leaf_tooltip": {
        "en": "{label}: {what}, {shape}",
        "zh": "{label}：{what}，{shape}",
    },
    "picture.scalar": {
        "en": "scalar",
        "zh": "标量",
    },
    "picture.shape": {
        "en": "shape {shape}",
        "zh": "形状 {shape}",
    },
    "picture.folded": {
        "en": "… {n} nodes folded",
        "zh": "… 折叠了 {n} 个节点",
    },
    "picture.folded_tooltip": {
        "en": "{n} nodes further from the output are not drawn (max_nodes={max_nodes})",
        "zh": "离输出较远的 {n} 个节点没有画出（max_nodes={max_nodes}）",
    },
    "picture.folded_note": {
        "en": "Note: {total} nodes; showing the {shown} nearest the output, {n} folded "
        "(max_nodes={max_nodes})",
        "zh": "注意：共 {total} 个节点；只画出离输出最近的 {shown} 个，折叠了 {n} 个"
        "（max_nodes={max_nodes}）",
    },
    "picture.scope_ops": {
        "en": "{n} ops",
        "zh": "{n} 个运算",
    },
    "picture.scope_one_op": {
        "en": "1 op",
        "zh": "1 个运算",
    },
    "picture.scope_more": {
        "en": "+{n} more",
        "zh": "另有 {n} 个",
    },
    "picture.scope_tooltip": {
        "en": "scope {scope}: {n} nodes collapsed",
        "zh": "作用域 {scope}：合并了 {n} 个节点",
    },
    "picture.legend": {
        "en": "values above the arrows (forward), gradients below in red (backward)",
        "zh": "箭头上方是值（正向传播），下方红色的是梯度（反向传播）",
    },
    # ------------------------------------------------------------ the explorer page
    "explorer.title": {
        "en": "graphgrad explorer: {name}",
        "zh": "graphgrad 计算图浏览器：{name}",
    },
    "explorer.toolbar": {
        "en": "step controls",
        "zh": "步骤控制",
    },
    "explorer.which_pass": {
        "en": "which pass",
        "zh": "选择传播方向",
    },
    "explorer.forward": {
        "en": "Forward pass",
        "zh": "正向传播",
    },
    "explorer.backward": {
        "en": "Backward pass",
        "zh": "反向传播",
    },
    "explorer.first": {
        "en": "« first",
        "zh": "« 第一步",
    },
    "explorer.first_title": {
        "en": "first step (Home)",
        "zh": "第一步（Home）",
    },
    "explorer.prev": {
        "en": "◀ prev",
        "zh": "◀ 上一步",
    },
    "explorer.prev_title": {
        "en": "previous step (←)",
        "zh": "上一步（←）",
    },
    "explorer.next": {
        "en": "next ▶",
        "zh": "下一步 ▶",
    },
    "explorer.next_title": {
        "en": "next step (→)",
        "zh": "下一步（→）",
    },
    "explorer.last": {
        "en": "last »",
        "zh": "最后一步 »",
    },
    "explorer.last_title": {
        "en": "last step (End)",
        "zh": "最后一步（End）",
    },
    "explorer.slider": {
        "en": "step",
        "zh": "步骤",
    },
    "explorer.counter_backward": {
        "en": "backward step {k} / {n}",
        "zh": "反向传播 第 {k} / {n} 步",
    },
    "explorer.counter_forward": {
        "en": "forward step {k} / {n}",
        "zh": "正向传播 第 {k} / {n} 步",
    },
    "explorer.zoom": {
        "en": "zoom",
        "zh": "缩放",
    },
    "explorer.zoom_in_title": {
        "en": "zoom in (+)",
        "zh": "放大（+）",
    },
    "explorer.zoom_out_title": {
        "en": "zoom out (−)",
        "zh": "缩小（−）",
    },
    "explorer.fit": {
        "en": "Fit",
        "zh": "全图",
    },
    "explorer.fit_title": {
        "en": "show the whole graph (0)",
        "zh": "显示整个计算图（0）",
    },
    "explorer.legend_zoom": {
        "en": "Drag to pan; wheel, pinch or + / − to zoom; 0 or Fit shows the whole graph.",
        "zh": "拖动可平移；滚轮、双指或 + / − 可缩放；按 0 或“全图”显示整个计算图。",
    },
    "explorer.hint": {
        "en": "Click a node to see its formula, local derivative, value and gradient.",
        "zh": "点击一个节点，查看它的公式、局部导数、值和梯度。",
    },
    "explorer.legend": {
        "en": "Values flow forward above the arrows (black); gradients flow back below them "
        "(red). Keys: ← → step, Home / End jump.",
        "zh": "正向传播的值写在箭头上方（黑色）；反向传播的梯度写在箭头下方（红色）。"
        "按键：← → 逐步，Home / End 跳到开头 / 结尾。",
    },
    "explorer.language": {
        "en": "Language",
        "zh": "语言",
    },
    # ------------------------------------------------------------ the side panel
    "panel.formula": {"en": "formula", "zh": "公式"},
    "panel.derivative": {"en": "local derivative", "zh": "局部导数"},
    "panel.inputs": {"en": "inputs", "zh": "输入"},
    "panel.value": {"en": "value", "zh": "值"},
    "panel.gradient": {"en": "gradient", "zh": "梯度"},
    "panel.not_yet": {"en": "not computed yet", "zh": "尚未计算"},
    "panel.no_grad": {"en": "none (requires_grad=False)", "zh": "无（requires_grad=False）"},
    "panel.shape": {"en": "shape {shape}, {dtype}", "zh": "形状 {shape}，{dtype}"},
    "panel.stats": {
        "en": "min {min}   max {max}   mean {mean}",
        "zh": "最小 {min}   最大 {max}   平均 {mean}",
    },
    "panel.empty": {"en": "(empty)", "zh": "（空）"},
    "panel.scope": {"en": "scope {scope}", "zh": "作用域 {scope}"},
    "panel.kind_operation": {"en": "operation", "zh": "运算节点"},
    "panel.kind_parameter": {"en": "parameter", "zh": "参数"},
    "panel.kind_input": {"en": "input / constant", "zh": "输入 / 常数"},
    "panel.kind_output": {"en": "output", "zh": "输出"},
    "panel.kind_scope": {"en": "scope", "zh": "作用域"},
    "panel.kind_folded": {"en": "folded", "zh": "折叠的节点"},
    "panel.output_doc": {
        "en": "The output of the graph. Backward starts here with the seed gradient "
        "∂output/∂output (1 for a scalar).",
        "zh": "计算图的输出。反向传播从这里开始，最初的导数是 ∂输出/∂输出（标量时为 1）。",
    },
    # ------------------------------------------------------------ graphgrad demo
    "demo.title": {
        "en": "Apple/orange purchase (Deep Learning from Scratch, 5.4):",
        "zh": "买苹果和橘子（《深度学习入门》5.4 节）：",
    },
    "demo.price": {
        "en": "  price = (apple*apple_num + orange*orange_num) * tax = {price}",
        "zh": "  支付金额 price = (apple*apple_num + orange*orange_num) * tax = {price}",
    },
    "demo.grad": {
        "en": "  d price / d {name:<10} = {grad:<6}   ({meaning})",
        "zh": "  ∂price/∂{name:<10} = {grad:<6}   （price 对{meaning}的导数）",
    },
    "demo.file": {
        "en": "  {path}",
        "zh": "  {path}",
    },
    "demo.pictures": {
        "en": "Pictures (values above each edge, gradients below in red):",
        "zh": "计算图的图片（箭头上方是值，下方红色的是梯度）：",
    },
    "demo.train": {
        "en": "Training the textbook's TwoLayerNet on MNIST (5.7.4: 10,000 iterations, "
        "batch 100, lr 0.1):",
        "zh": "用 MNIST 训练书中的 TwoLayerNet（5.7.4 节：10000 次迭代，批大小 100，"
        "学习率 0.1）：",
    },
    "demo.page": {
        "en": "Open {path} in a browser to step through the backward pass node by node.",
        "zh": "用浏览器打开 {path}，可以一个节点一个节点地单步查看反向传播。",
    },
    "demo.no_pillow": {
        "en": "  (no {path}: the step-by-step GIF needs Pillow: pip install 'graphgrad[anim]')",
        "zh": "  （没有生成 {path}：逐步动画 GIF 需要 Pillow：pip install 'graphgrad[anim]'）",
    },
    "demo.no_matplotlib": {
        "en": "(no training curves: they need matplotlib: pip install 'graphgrad[train]')",
        "zh": "（不画训练曲线：需要 matplotlib：pip install 'graphgrad[train]'）",
    },
    "demo.no_mnist": {
        "en": "Training skipped: MNIST is not here and could not be downloaded ({reason}).\n"
        "To train, put the four MNIST files\n  {files}\n"
        "(each may end in .gz) into {cache}, or into any folder and set MNIST_DIR to it.\n"
        "To see only the graph part: graphgrad demo --no-train",
        "zh": "跳过训练：没有找到 MNIST，也无法下载（{reason}）。\n"
        "要训练，请把 MNIST 的四个文件\n  {files}\n"
        "（可以带 .gz 后缀）放到 {cache}，或放到任意文件夹并把 MNIST_DIR 设为该文件夹。\n"
        "只看计算图部分：graphgrad demo --no-train",
    },
    "demo.leaf.apple": {"en": "apple price", "zh": "苹果单价"},
    "demo.leaf.apple_num": {"en": "number of apples", "zh": "苹果个数"},
    "demo.leaf.orange": {"en": "orange price", "zh": "橘子单价"},
    "demo.leaf.orange_num": {"en": "number of oranges", "zh": "橘子个数"},
    "demo.leaf.tax": {"en": "consumption tax", "zh": "消费税"},
    # ------------------------------------------------------------ graphgrad explore (terminal)
    "explore.value": {
        "en": "{label} = {expression} = {value}",
        "zh": "{label} = {expression} = {value}",
    },
    "explore.grad": {
        "en": "  d {label} / d {name} = {grad}",
        "zh": "  ∂{label}/∂{name} = {grad}",
    },
    "explore.wrote": {
        "en": "wrote {path}",
        "zh": "已写入 {path}",
    },
    "explore.wrote_quiz": {
        "en": "wrote the quiz page {path}",
        "zh": "已写入练习页面 {path}",
    },
    # ------------------------------------------------------------ training (graphgrad train, demo)
    "train.loaded": {
        "en": "MNIST: {train} training and {test} test images ({seconds:.1f} s to load)",
        "zh": "MNIST：{train} 张训练图像，{test} 张测试图像（读取用时 {seconds:.1f} 秒）",
    },
    "train.epoch": {
        "en": "epoch {epoch:3d}  iter {iter:6d}  loss {loss:.4f}  train acc {train_acc:.4f}  "
        "test acc {test_acc:.4f}",
        "zh": "epoch {epoch:3d}  第 {iter:6d} 次迭代  损失 {loss:.4f}  "
        "训练数据的识别精度 {train_acc:.4f}  测试数据的识别精度 {test_acc:.4f}",
    },
    "train.final": {
        "en": "final test accuracy {acc:.4f} after {iters} iterations ({seconds:.1f} s)",
        "zh": "{iters} 次迭代后，测试数据的识别精度为 {acc:.4f}（用时 {seconds:.1f} 秒）",
    },
    "train.curves": {
        "en": "curves: {path}",
        "zh": "学习曲线：{path}",
    },
    # ------------------------------------------------------------ fonts
    "font.missing_cjk": {
        "en": "no CJK font found for the Chinese text in this picture (looked for {fonts}); "
        "Graphviz will draw each character as a box with its hex code. Install one, e.g. on "
        "Debian/Ubuntu: `sudo apt-get install fonts-noto-cjk` (Noto Sans CJK), then draw again.",
        "zh": "没有找到可以显示这张图中中文的 CJK 字体（查找了 {fonts}）；Graphviz 会把每个汉字"
        "画成带十六进制编码的方框。请先安装一种，例如 Debian/Ubuntu 上："
        "`sudo apt-get install fonts-noto-cjk`（Noto Sans CJK），然后重新绘图。",
    },
    # ------------------------------------------------------------ ops: the book's names
    "op.add.term": {"en": "add node", "zh": "加法节点"},
    "op.sub.term": {"en": "subtract node", "zh": "减法节点"},
    "op.mul.term": {"en": "multiply node", "zh": "乘法节点"},
    "op.div.term": {"en": "divide node", "zh": "除法节点"},
    "op.pow.term": {"en": "power node", "zh": "幂节点"},
    "op.pow_const.term": {"en": "power node", "zh": "幂节点"},
    "op.neg.term": {"en": "negation node", "zh": "取负节点"},
    "op.matmul.term": {"en": "matrix product node", "zh": "矩阵乘积节点"},
    "op.exp.term": {"en": "exp node", "zh": "exp 节点"},
    "op.log.term": {"en": "log node", "zh": "log 节点"},
    "op.sqrt.term": {"en": "square root node", "zh": "平方根节点"},
    "op.tanh.term": {"en": "tanh layer", "zh": "tanh 层"},
    "op.sigmoid.term": {"en": "Sigmoid layer", "zh": "Sigmoid 层"},
    "op.relu.term": {"en": "ReLU layer", "zh": "ReLU 层"},
    "op.sum.term": {"en": "sum node", "zh": "求和节点"},
    "op.mean.term": {"en": "mean node", "zh": "平均节点"},
    "op.max.term": {"en": "max node", "zh": "max 节点"},
    "op.reshape.term": {"en": "reshape node", "zh": "reshape 节点"},
    "op.transpose.term": {"en": "transpose node", "zh": "转置节点"},
    "op.broadcast_to.term": {"en": "broadcast node", "zh": "广播节点"},
    "op.sum_to.term": {"en": "sum_to node", "zh": "sum_to 节点"},
    "op.getitem.term": {"en": "indexing node", "zh": "索引节点"},
    "op.getitem_grad.term": {"en": "scatter node", "zh": "scatter 节点"},
    "op.softmax.term": {"en": "Softmax layer", "zh": "Softmax 层"},
    "op.log_softmax.term": {"en": "log-softmax node", "zh": "log_softmax 节点"},
    "op.cross_entropy.term": {"en": "Softmax-with-Loss layer", "zh": "Softmax-with-Loss 层"},
    "op.affine.term": {"en": "Affine layer", "zh": "Affine 层"},
    "op.dropout.term": {"en": "Dropout layer", "zh": "Dropout 层"},
    "op.batch_norm.term": {"en": "Batch Norm layer", "zh": "Batch Normalization 层"},
    "op.convolution.term": {"en": "Convolution layer", "zh": "卷积层"},
    "op.max_pool.term": {"en": "Pooling layer", "zh": "池化层"},
    "op.sin.term": {"en": "sin node", "zh": "sin 节点"},
    "op.cos.term": {"en": "cos node", "zh": "cos 节点"},
    "op.min.term": {"en": "min node", "zh": "min 节点"},
    "op.clip.term": {"en": "clip node", "zh": "clip 节点"},
    "op.leaky_relu.term": {"en": "Leaky ReLU layer", "zh": "Leaky ReLU 层"},
    "op.flatten.term": {"en": "flatten node", "zh": "flatten 节点"},
    "op.linear.term": {"en": "linear node", "zh": "linear 节点"},
    "op.mean_squared_error.term": {"en": "mean squared error", "zh": "均方误差"},
    # ------------------------------------------------------------ ops: what they do
    "op.add": {
        "en": "Add node: passes the upstream gradient to both inputs unchanged.",
        "zh": "加法节点：把上游传来的导数原封不动地传给两个输入（局部导数都是 1）。",
    },
    "op.sub": {
        "en": "Subtract node: the gradient reaches b with its sign flipped.",
        "zh": "减法节点：传给 a 的是上游传来的导数本身，传给 b 的要变号。",
    },
    "op.mul": {
        "en": "Multiply node: each input gets the upstream gradient times the other input.",
        "zh": "乘法节点：上游传来的导数乘以“翻转”后的另一个输入值，传给每个输入。",
    },
    "op.div": {
        "en": "Divide node: ∂y/∂a = 1/b and ∂y/∂b = −a/b².",
        "zh": "除法节点：∂y/∂a = 1/b，∂y/∂b = −a/b²。",
    },
    "op.pow": {
        "en": "Power node a ** b, both a and b in the graph.",
        "zh": "幂节点 a ** b，底数和指数都是计算图中的节点。",
    },
    "op.pow_const": {
        "en": "Power node x ** c with a constant exponent c.",
        "zh": "幂节点 x ** c，指数 c 是常数。",
    },
    "op.neg": {
        "en": "Negation: the gradient passes back with its sign flipped.",
        "zh": "取负：导数变号后传回。",
    },
    "op.matmul": {
        "en": "Matrix product: the gradients are matrix products with the other operand "
        "transposed (book 5.6.1).",
        "zh": "矩阵乘积：梯度是与另一个操作数的转置相乘的矩阵乘积（见书 5.6.1 节）。",
    },
    "op.exp": {
        "en": "exp node: its local derivative is its own output, y = eˣ.",
        "zh": "exp 节点：局部导数就是它自己的输出 y = eˣ。",
    },
    "op.log": {
        "en": "log node (natural logarithm): local derivative 1/x.",
        "zh": "log 节点（自然对数）：局部导数是 1/x。",
    },
    "op.sqrt": {
        "en": "Square root: local derivative 1/(2√x).",
        "zh": "平方根：局部导数是 1/(2√x)。",
    },
    "op.tanh": {
        "en": "tanh activation: local derivative 1 − y², from the output alone.",
        "zh": "tanh 激活函数层：局部导数 1 − y²，只用正向传播的输出即可算出。",
    },
    "op.sigmoid": {
        "en": "Sigmoid layer (book 5.5.2): local derivative y(1 − y), from the output alone.",
        "zh": "Sigmoid 层（书 5.5.2 节）：局部导数 y(1 − y)，只用正向传播的输出即可算出。",
    },
    "op.relu": {
        "en": "ReLU layer (book 5.5.1): the gradient passes where the input was positive and "
        "stops where it was not.",
        "zh": "ReLU 层（书 5.5.1 节）：正向传播时输入大于 0 的地方，导数原样传回；"
        "其余地方传回 0。",
    },
    "op.sum": {
        "en": "Sum: the upstream gradient is copied back to every element.",
        "zh": "求和：上游传来的导数被复制给每一个元素。",
    },
    "op.mean": {
        "en": "Mean: each element gets the upstream gradient divided by n.",
        "zh": "平均：每个元素得到上游传来的导数除以 n。",
    },
    "op.max": {
        "en": "Maximum: the gradient goes to the largest element (shared among ties).",
        "zh": "最大值：导数只传给最大的元素（并列时平分）。",
    },
    "op.reshape": {
        "en": "Reshape: same values in a new shape; the gradient is reshaped back.",
        "zh": "reshape：值不变、形状改变；导数再变回原来的形状。",
    },
    "op.transpose": {
        "en": "Transpose: the gradient is transposed back.",
        "zh": "转置：导数再转置回来。",
    },
    "op.broadcast_to": {
        "en": "Broadcast: copies x to a bigger shape; backward sums the copies.",
        "zh": "广播：把 x 复制成更大的形状；反向传播时把各个副本的导数相加。",
    },
    "op.sum_to": {
        "en": "sum_to: sums x down to a smaller shape, the inverse of broadcasting.",
        "zh": "sum_to：把 x 求和成更小的形状，是广播的逆运算。",
    },
    "op.getitem": {
        "en": "Indexing x[i]: the gradient goes back to the selected elements, 0 elsewhere.",
        "zh": "索引 x[i]：导数传回被选中的元素，其余为 0。",
    },
    "op.getitem_grad": {
        "en": "Scatter: the backward of indexing, recorded for higher-order derivatives.",
        "zh": "scatter：索引的反向传播，为求高阶导数而记录下来。",
    },
    "op.softmax": {
        "en": "Softmax: exp(xᵢ) / Σ exp(xⱼ), computed without overflow.",
        "zh": "Softmax：exp(xᵢ) / Σ exp(xⱼ)，计算时防止溢出。",
    },
    "op.log_softmax": {
        "en": "log(softmax(x)), computed without overflow.",
        "zh": "log(softmax(x))，计算时防止溢出。",
    },
    "op.cross_entropy": {
        "en": "Softmax-with-Loss layer (book 5.6.3): softmax followed by the cross-entropy "
        "error; its backward is the neat (y − t) / N.",
        "zh": "Softmax-with-Loss 层（书 5.6.3 节）：Softmax 之后接交叉熵误差；"
        "反向传播的结果是漂亮的 (y − t) / N。",
    },
    "op.affine": {
        "en": "Affine layer (book 5.6.2): Y = X · W + b; ∂L/∂X = G · Wᵀ, ∂L/∂W = Xᵀ · G, "
        "∂L/∂b = Σ G over the batch.",
        "zh": "Affine 层（书 5.6.2 节）：Y = X · W + b；∂L/∂X = G · Wᵀ，∂L/∂W = Xᵀ · G，"
        "∂L/∂b 是 G 在批方向上的和。",
    },
    "op.dropout": {
        "en": "Dropout: multiplies by a fixed mask (0 for a dropped unit); dropped units get "
        "no gradient.",
        "zh": "Dropout：乘以固定的掩码（被删除的神经元为 0）；被删除的神经元得不到梯度。",
    },
    "op.batch_norm": {
        "en": "Batch Normalization: normalise with the batch's mean and variance, then scale "
        "and shift.",
        "zh": "Batch Normalization：用批数据的均值和方差进行正规化，再进行缩放和平移。",
    },
    "op.convolution": {
        "en": "Convolution via im2col: one matrix product per batch.",
        "zh": "卷积运算，通过 im2col 展开后做一次矩阵乘积。",
    },
    "op.max_pool": {
        "en": "Max pooling: the maximum of each window; the gradient goes to the maximum.",
        "zh": "Max 池化：取每个窗口的最大值；导数只传给最大值所在的位置。",
    },
    "op.sin": {
        "en": "Sine: local derivative cos x.",
        "zh": "正弦：局部导数是 cos x。",
    },
    "op.cos": {
        "en": "Cosine: local derivative −sin x.",
        "zh": "余弦：局部导数是 −sin x。",
    },
    "op.min": {
        "en": "Minimum: the gradient goes to the smallest element (shared among ties).",
        "zh": "最小值：导数只传给最小的元素（并列时平分）。",
    },
    "op.clip": {
        "en": "Clip: values are limited to [x_min, x_max]; the gradient passes only where x "
        "was inside.",
        "zh": "clip：把值限制在 [x_min, x_max] 之内；只有 x 在区间内的地方导数才传回。",
    },
    "op.leaky_relu": {
        "en": "Leaky ReLU: like ReLU, but where the input was negative the gradient is "
        "multiplied by a small slope instead of stopping.",
        "zh": "Leaky ReLU：与 ReLU 类似，但输入为负的地方导数乘以一个小斜率，而不是变成 0。",
    },
    "op.flatten": {
        "en": "Flatten: each sample becomes one row; the gradient is reshaped back.",
        "zh": "flatten：把每个样本展平成一行；导数再变回原来的形状。",
    },
    "op.linear": {
        "en": "Linear (DeZero's F.linear): Y = X·W + b; ∂L/∂X = G·Wᵀ, ∂L/∂W = Xᵀ·G, ∂L/∂b is "
        "G summed over the batch.",
        "zh": "linear（DeZero 的 F.linear）：Y = X·W + b；∂L/∂X = G·Wᵀ，∂L/∂W = Xᵀ·G，"
        "∂L/∂b 是 G 在批方向上的和。",
    },
    "op.mean_squared_error": {
        "en": "Mean squared error: Σ(x0 − x1)² / N; the gradient is 2(x0 − x1)/N.",
        "zh": "均方误差：Σ(x0 − x1)² / N；导数是 2(x0 − x1)/N。",
    },
    # ------------------------------------------------------------ quiz (viz.quiz, exercises)
    "quiz.hint.local": {
        "en": "Hint: {symbol} node: the gradient sent to {who} = upstream gradient × local "
              "derivative, and here the local derivative is {local}.",
        "zh": "提示：{symbol} 节点：传给 {who} 的梯度 = 上游传来的导数 × 局部导数，"
              "这里的局部导数是 {local}。",
    },
    "quiz.hint.local_array": {
        "en": "Hint: {symbol} node, element by element: the gradient sent to {who} = G ⊙ local "
              "derivative, and here the local derivative is {local} (G: the gradient arriving "
              "from upstream).",
        "zh": "提示：{symbol} 节点，逐个元素：传给 {who} 的梯度 = G ⊙ 局部导数，"
              "这里的局部导数是 {local}（G：上游传来的导数）。",
    },
    "quiz.hint.formula": {
        "en": "Hint: {symbol} node: the gradient to {who} = {formula} (G: the gradient arriving "
              "from upstream).",
        "zh": "提示：{symbol} 节点：传给 {who} 的梯度 = {formula}（G：上游传来的导数）。",
    },
    "quiz.hint.numbers": {
        "en": "Hint with the numbers: {calc}",
        "zh": "带数字的提示：{calc}",
    },
    "quiz.hint.where": {
        "en": "{formula}, where {values}",
        "zh": "{formula}，其中 {values}",
    },
    "quiz.hint.paths": {
        "en": "{who} is used on {n} paths: its gradient is the sum of what each path sends.",
        "zh": "{who} 用在 {n} 条路径上：它的梯度是各条路径传来的梯度之和。",
    },
    "quiz.ask.element": {
        "en": "element {index}",
        "zh": "第 {index} 个元素",
    },
    "quiz.ask.matrix": {
        "en": "all {n} numbers, row by row",
        "zh": "全部 {n} 个数，逐行填写",
    },
    "quiz.check.right": {
        "en": "Right: ∂{out}/∂{who} = {value}.",
        "zh": "正确：∂{out}/∂{who} = {value}。",
    },
    "quiz.check.wrong": {
        "en": "Not quite ({answer}).",
        "zh": "还不对（{answer}）。",
    },
    "quiz.check.empty": {
        "en": "Write your prediction for ∂{out}/∂{who} first (the answer is still None).",
        "zh": "请先写下你对 ∂{out}/∂{who} 的预测（答案还是 None）。",
    },
    "quiz.check.count": {
        "en": "Expected {n} numbers for {who} (shape {shape}), got {got}.",
        "zh": "{who} 需要 {n} 个数（形状 {shape}），收到 {got} 个。",
    },
    "quiz.check.solution": {
        "en": "The solution is in the cell further down.",
        "zh": "答案在下面的单元格里。",
    },
    "quiz.page.check": {
        "en": "Check",
        "zh": "检查",
    },
    "quiz.page.show_answers": {
        "en": "Show answers",
        "zh": "显示答案",
    },
    "quiz.page.score": {
        "en": "Score",
        "zh": "得分",
    },
    "quiz.page.ask": {
        "en": "Your turn: type the gradient that flows to each input of the highlighted node, "
              "then press Enter.",
        "zh": "轮到你了：填入流向高亮节点每个输入的梯度，然后按回车。",
    },
    "quiz.page.done_step": {
        "en": "All inputs of this step are done: step on with →.",
        "zh": "这一步的输入都完成了：按 → 继续。",
    },
    "quiz.page.final": {
        "en": "Done: {right} of {total} right at the first try.",
        "zh": "完成：首次即答对 {right}/{total}。",
    },
    "quiz.page.final_hints": {
        "en": "Steps that needed hints: {steps}.",
        "zh": "需要提示的步骤：{steps}。",
    },
    "quiz.page.no_hints": {
        "en": "No step needed a hint.",
        "zh": "没有步骤需要提示。",
    },
    "quiz.page.revealed": {
        "en": "answer shown",
        "zh": "已显示答案",
    },
    "quiz.page.nothing": {
        "en": "This step sends no gradient to ask about.",
        "zh": "这一步没有要问的梯度。",
    },
    # ------------------------------------------------------------ worksheets (graphgrad worksheet)
    "worksheet.title": {
        "en": "Exercise {k} of {n}: {topic}",
        "zh": "练习 {k}/{n}：{topic}",
    },
    "worksheet.key_title": {
        "en": "Answer key, exercise {k} of {n}: {topic}",
        "zh": "答案，练习 {k}/{n}：{topic}",
    },
    "worksheet.instructions": {
        "en": "Backpropagate: write in each box the gradient of {out} with respect to the value "
              "on that arrow. The red number on the right is the gradient arriving at {out}.",
        "zh": "反向传播：在每个方框里填入 {out} 对该箭头上数值的导数。右边的红色数字是传到 {out} "
              "的梯度。",
    },
    "worksheet.name": {
        "en": "Name: ____________    Date: ________",
        "zh": "姓名：____________    日期：________",
    },
    "worksheet.apple.topic": {
        "en": "buying apples (5.4.1)",
        "zh": "买苹果（5.4.1）",
    },
    "worksheet.apple.story": {
        "en": "You buy apple_num = {apple_num} apples at apple = {apple} each; the tax factor is "
              "tax = {tax}. price = apple × apple_num × tax = {price}.",
        "zh": "买了 apple_num = {apple_num} 个苹果，每个 apple = {apple} 元，消费税系数 tax = "
              "{tax}。支付金额 price = apple × apple_num × tax = {price}。",
    },
    "worksheet.apple_orange.topic": {
        "en": "buying apples and oranges (5.5)",
        "zh": "买苹果和橘子（5.5）",
    },
    "worksheet.apple_orange.story": {
        "en": "apple = {apple} each, apple_num = {apple_num}; orange = {orange} each, orange_num "
              "= {orange_num}; tax = {tax}. price = (apple × apple_num + orange × orange_num) × "
              "tax = {price}.",
        "zh": "苹果每个 apple = {apple} 元，买 apple_num = {apple_num} 个；橘子每个 orange = "
              "{orange} 元，买 orange_num = {orange_num} 个；消费税系数 tax = {tax}。price = "
              "(apple × apple_num + orange × orange_num) × tax = {price}。",
    },
    "worksheet.square_of_sum.topic": {
        "en": "the chain rule, z = (x + y)² (5.2)",
        "zh": "链式法则，z = (x + y)²（5.2）",
    },
    "worksheet.square_of_sum.story": {
        "en": "x = {x}, y = {y}; t = x + y = {t}, z = t² = {z}.",
        "zh": "x = {x}，y = {y}；t = x + y = {t}，z = t² = {z}。",
    },
    "worksheet.relu.topic": {
        "en": "a ReLU layer (5.5.1)",
        "zh": "ReLU 层（5.5.1）",
    },
    "worksheet.relu.story": {
        "en": "x = {x}, y = ReLU(x) = {y}. The gradient arriving from the right is ∂L/∂y = {g}.",
        "zh": "x = {x}，y = ReLU(x) = {y}。从右边传来的梯度是 ∂L/∂y = {g}。",
    },
    "worksheet.sigmoid.topic": {
        "en": "a Sigmoid layer (5.5.2)",
        "zh": "Sigmoid 层（5.5.2）",
    },
    "worksheet.sigmoid.story": {
        "en": "y = sigmoid(x) = {y} (x = ln(y / (1 − y)) = {x}). The gradient arriving from the "
              "right is ∂L/∂y = {g}.",
        "zh": "y = sigmoid(x) = {y}（x = ln(y / (1 − y)) = {x}）。从右边传来的梯度是 ∂L/∂y = "
              "{g}。",
    },
    "worksheet.affine.topic": {
        "en": "an Affine layer, W of shape 2×3 (5.6.2)",
        "zh": "Affine 层，W 的形状为 2×3（5.6.2）",
    },
    "worksheet.affine.story": {
        "en": "Y = X · W + b with X = {X}, W = {W}, b = {b}. The gradient arriving from the "
              "right is ∂L/∂Y = {G}.",
        "zh": "Y = X · W + b，其中 X = {X}，W = {W}，b = {b}。从右边传来的梯度是 ∂L/∂Y = {G}。",
    },
    "worksheet.softmax_with_loss.topic": {
        "en": "Softmax-with-Loss, 3 classes (5.6.3)",
        "zh": "Softmax-with-Loss 层，3 类（5.6.3）",
    },
    "worksheet.softmax_with_loss.story": {
        "en": "scores a = (ln {k0}, ln {k1}, ln {k2}) = {a}, so softmax(a) = {y}; the correct "
              "class is {label} (t = {t}). L = cross-entropy error = {L}.",
        "zh": "得分 a = (ln {k0}, ln {k1}, ln {k2}) = {a}，所以 softmax(a) = {y}；正确的类别是 "
              "{label}（t = {t}）。L = 交叉熵误差 = {L}。",
    },
    "worksheet.key_line": {
        "en": "({letter}) ∂{out}/∂{who} = {value}",
        "zh": "({letter}) ∂{out}/∂{who} = {value}",
    },
    # ---- viz.watch: the training-replay page
    "watch.title": {"en": "Watch a network learn", "zh": "观察神经网络的学习过程"},
    "watch.play": {"en": "Play", "zh": "播放"},
    "watch.pause": {"en": "Pause", "zh": "暂停"},
    "watch.step": {"en": "step {step} / {steps}", "zh": "第 {step} 步 / 共 {steps} 步"},
    "watch.boundary": {"en": "Data and decision regions", "zh": "数据与决策区域"},
    "watch.boundary_hint": {
        "en": "Each colour is the class the network predicts there; paler means less sure. "
              "Click a ringed point to follow its computational graph.",
        "zh": "每种颜色是网络在该处预测的类别，颜色越浅表示越没有把握。"
              "点击带圆圈的点，查看这个样本的计算图。",
    },
    "watch.curves": {"en": "Loss and accuracy", "zh": "损失函数与识别精度"},
    "watch.loss": {"en": "loss (log scale)", "zh": "损失（对数刻度）"},
    "watch.accuracy": {"en": "accuracy", "zh": "识别精度"},
    "watch.train": {"en": "train", "zh": "训练数据"},
    "watch.test": {"en": "test", "zh": "测试数据"},
    "watch.batch": {"en": "each step's batch", "zh": "每步的 mini-batch"},
    "watch.grad_norms": {"en": "Gradient norm of each layer's weights ‖∂L/∂W‖",
                         "zh": "各层权重梯度的大小 ‖∂L/∂W‖"},
    "watch.histograms": {"en": "Activation distribution of each hidden layer",
                         "zh": "各隐藏层的激活值分布"},
    "watch.example": {"en": "Computational graph of one example", "zh": "一个样本的计算图"},
    "watch.example_caption": {
        "en": "example {index} (class {label}): predicted class {pred}, loss {loss}",
        "zh": "样本 {index}（正确类别 {label}）：预测类别 {pred}，损失 {loss}",
    },
    "watch.summary": {"en": "train accuracy {train} · test accuracy {test}",
                      "zh": "训练数据的识别精度 {train} · 测试数据的识别精度 {test}"},
    "watch.lang": {"en": "language", "zh": "语言"},
    "watch.recorded": {"en": "{path}: {steps} steps, {snapshots} snapshots, {summary}",
                       "zh": "{path}：{steps} 步，{snapshots} 个快照，{summary}"},
    "watch.open": {"en": "Open it in a browser: {uri}", "zh": "用浏览器打开：{uri}"},
}

_FORMATTER = string.Formatter()


def check_lang(lang: Any) -> str:
    """Return `lang` if it is one of :data:`LANGS`, else raise a ValueError saying which are."""
    if lang not in LANGS:
        raise ValueError(
            f"lang={lang!r}: choose one of {', '.join(map(repr, LANGS))} "
            "(English or Simplified Chinese)"
        )
    return lang


def fields_of(text: str) -> set[str]:
    """The names of the ``{fields}`` in a catalogue text."""
    return {name.split(".")[0].split("[")[0]
            for _, name, _, _ in _FORMATTER.parse(text) if name}


def message(key: str, lang: str = "en", **fields: Any) -> str:
    """The learner-facing text `key` in `lang`, with its ``{fields}`` filled in.

    ``message("panel.formula", "zh")`` -> ``"公式"``. An unknown key or a missing field is a
    KeyError naming the key, so a typo fails in the tests, not in front of a learner.
    """
    check_lang(lang)
    try:
        entry = MESSAGES[key]
    except KeyError:
        raise KeyError(f"viz.messages: no message {key!r}") from None
    text = entry[lang]
    try:
        return text.format(**fields) if fields or "{" in text else text
    except KeyError as err:
        raise KeyError(
            f"viz.messages: message {key!r} needs field {err.args[0]!r} "
            f"(it uses {', '.join(sorted(fields_of(text)))})"
        ) from None


def messages_for(prefixes: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The catalogue entries whose key starts with one of `prefixes` (for the page's script)."""
    return {k: dict(v) for k, v in MESSAGES.items() if k.startswith(prefixes)}


def op_term(op: Any, lang: str = "en") -> str:
    """The book's name for an op's node or layer (``乘法节点``, ``Affine 层``), else its symbol."""
    name = str(getattr(op, "name", ""))
    key = f"op.{name}.term"
    if key in MESSAGES:
        return message(key, lang)
    return str(getattr(op, "symbol", None) or name or type(op).__name__)


def op_description(op: Any, lang: str = "en", fallback: str = "") -> str:
    """What an op does, in `lang`: the catalogue's text, else `fallback` (the op's docstring).

    Ops defined outside graphgrad have no catalogue entry; their own docstring is shown then,
    in whatever language it was written.
    """
    key = f"op.{getattr(op, 'name', '')}"
    if key in MESSAGES:
        return message(key, lang)
    return fallback


def _check_catalogue(catalogue: Mapping[str, Mapping[str, str]]) -> None:
    """Every entry has every language, with the same fields (run by the tests)."""
    for key, entry in catalogue.items():
        if set(entry) != set(LANGS):
            raise AssertionError(f"{key}: languages {sorted(entry)}, expected {list(LANGS)}")
        wanted = fields_of(entry["en"])
        for lang in LANGS:
            if fields_of(entry[lang]) != wanted:
                raise AssertionError(f"{key}: {lang} has fields {fields_of(entry[lang])}, "
                                     f"en has {wanted}")
