//! The module-level Python scanner: finds the module docstring and the
//! top-level assignments to `revision`, `down_revision`, `branch_labels` and
//! `depends_on` (plain or annotated), evaluating only literals. Proven equal to
//! CPython's `ast` on generated files (see tests).
