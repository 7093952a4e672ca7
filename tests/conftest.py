"""Suite-wide test settings."""

from hypothesis import settings

# Hypothesis's per-example deadline is a timing assertion: on shared, busy cores a pure function
# can miss it and fail a correct test. Speed is measured in bench/, never asserted here.
settings.register_profile("sekimori", deadline=None)
settings.load_profile("sekimori")
