"""Classification layer: text -> Verdicts. No HTTP, no database."""
