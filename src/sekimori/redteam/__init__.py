"""Red-team lab: suites of prompts, jailbreak mutators, targets, graders, runner and report."""
