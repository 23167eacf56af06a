#!/usr/bin/python3
"""A tiny backbone with VGG16's feature width: (N, 3, 32, 32) -> Conv 8x8 stride 4 -> ReLU -> (N, 512, 7, 7),
flattened by the tool to 25,088 features (metadata pipeline.pool=flatten, pipeline.preprocess=unit). Random weights,
opset 17, written the way torch.onnx writes a model (a Constant node for the ReLU's floor). For predict's memory bar
at scale (issue 30): the rows per image are VGG16's, the compute per image is small.
    /usr/bin/python3 bench/scale/wide_model.py OUT.onnx"""
import sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

rng = np.random.default_rng(1)
w = numpy_helper.from_array((rng.standard_normal((512, 3, 8, 8)) * 0.05).astype(np.float32), "conv.weight")
b = numpy_helper.from_array(np.zeros(512, np.float32), "conv.bias")
nodes = [
    helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["conv"], kernel_shape=[8, 8], strides=[4, 4]),
    helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.array(0, np.float32))),
    helper.make_node("Max", ["conv", "zero"], ["features"]),
]
graph = helper.make_graph(nodes, "wide", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 32, 32])],
                          [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 512, 7, 7])], [w, b])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="pytorch")
for k, v in {"pipeline.preprocess": "unit", "pipeline.pool": "flatten"}.items():
    model.metadata_props.add(key=k, value=v)
onnx.checker.check_model(model, full_check=True)
onnx.save(model, sys.argv[1])
