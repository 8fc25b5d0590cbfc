//! Component names → Alembic configs: the Backend.AI built-ins (`manager`,
//! `accountmgr`, `appproxy` and their aliases, with the tracked
//! `configs/<dir>/halfstack.alembic.ini` fallback) and custom components from
//! `db-status.toml` or `[tool.db-status]` in `pyproject.toml`.
