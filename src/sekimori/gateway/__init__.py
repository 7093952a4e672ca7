"""The gateway: an OpenAI-compatible proxy that screens, forwards and audits every request."""
