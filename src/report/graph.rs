//! `graph` output: the revision graph as Mermaid or Graphviz dot.
