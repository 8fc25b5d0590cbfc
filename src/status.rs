//! Stage 5: the verdict. Scripts (the revision map) + version-table rows →
//! [`ComponentStatus`]: state, pending revisions in upgrade order, unknown
//! revisions, divergence details and recommended actions. Pure: no I/O.
