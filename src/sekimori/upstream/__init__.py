"""Model-server clients: the `Upstream` protocol, the OpenAI-compatible client, routing by model."""
