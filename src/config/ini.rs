//! A reader faithful to Python's `configparser.ConfigParser` with
//! `BasicInterpolation`, as Alembic uses it (defaults: `=`/`:` delimiters,
//! full-line `#`/`;` comments only, lower-cased option names, indented
//! continuation lines, strict duplicates, `[DEFAULT]`, lazy `%(name)s`
//! interpolation with `%%`).
