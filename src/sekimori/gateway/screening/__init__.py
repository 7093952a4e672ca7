"""Real screening for the gateway: `PolicyScreen`, registered in `SCREENS` as `policy`.

policy.py    the tenant policy the screen applies and `decide(scores, rules)`
scorers.py   the classifiers behind one interface (`model`, and `lexicon` for tests)
cache.py     verdicts of texts already seen, by content hash
shared.py    the same verdicts shared by replicas in Redis, per tenant, signed
scheduler.py classifier work queued per tenant, run fairly, bounded (429/503), dropped when unwanted
refusal.py   refusals, support answers and cut notices, in the user's language
screen.py    the screen itself
"""

from sekimori.gateway.screening.screen import PolicyScreen
from sekimori.screen import SCREENS

SCREENS.register("policy")(lambda settings: PolicyScreen(settings))

__all__ = ["PolicyScreen"]
