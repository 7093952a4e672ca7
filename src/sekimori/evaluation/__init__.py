"""Measuring the product as users meet it: `sekimori eval gateway`.

The real gateway (`sekimori serve`, default screen and policy) runs in front of the fake
upstream in two modes: `neutral` (one neutral sentence, so the prompt screen alone decides) and
`comply:LABEL` (a compliant model answering harmful requests with sanitized prose harmful answers,
see `sekimori.testing.compliant`). Every prompt of every set goes through it over HTTP, and what
the client saw (response headers, finish_reason) is counted per set, tier and language.

Layers: like the red-team lab, this package reaches the gateway only over HTTP; it reads the
evaluation-only sets (`classify.evalsets`), the team's held-out split (`classify.corpus`) and the
lab's mutators (`redteam.mutators`).
"""
