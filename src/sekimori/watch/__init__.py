"""The watch: abuse that no single request shows, read from per-request sketches (never text).

`sketch` makes the privacy-preserving sketch of one screened request, `detectors/` hold the
incremental detectors (one a file, the `DETECTORS` registry), `simulate` makes sketch traffic
for benign populations and attack campaigns, `replay` runs detectors over a sketch file.
"""
