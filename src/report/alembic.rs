//! Byte-compatible renderings of Alembic's `heads`, `history`, `branches`,
//! `show` and `current` output (`Script._head_only`, `Script.log_entry`).
