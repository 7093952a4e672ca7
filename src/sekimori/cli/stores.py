"""The store flags of `keys`, `audit` and `migrate`: which keys and audit trail a command reads."""

from __future__ import annotations

import argparse

from sekimori.settings import Settings, load_settings
from sekimori.store.backend import StoreBackend, open_backend


def add_store_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", metavar="FILE", help="YAML settings file (its store.url) / YAML 設定ファイル"
    )
    parser.add_argument(
        "--store",
        metavar="URL",
        help="postgresql://... (default: store.url, else $SEKIMORI_STORE_URL, else SQLite in "
        "the data directory) / 保存先",
    )


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings as `--config` and `--store` give them."""
    overrides = {"store": {"url": args.store}} if args.store else None
    return load_settings(args.config, overrides=overrides)


def backend(args: argparse.Namespace) -> StoreBackend:
    settings = settings_of(args)
    return open_backend(settings.store.url, settings.home)
