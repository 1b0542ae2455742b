"""Running the Alembic migrations in `db/migrations` from code (the CLI, the migrator Lambda, tests)."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

_REPO_ROOT = Path(__file__).resolve().parents[1]


def alembic_config(engine: Engine) -> Config:
    """The project's alembic.ini: `$ALEMBIC_CONFIG`, the source checkout's, or the working directory's."""
    candidates = [os.environ.get("ALEMBIC_CONFIG"), _REPO_ROOT / "alembic.ini", Path.cwd() / "alembic.ini"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            config = Config(str(candidate))
            config.attributes["engine"] = engine
            return config
    raise FileNotFoundError("alembic.ini not found: set ALEMBIC_CONFIG")


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
