revision = "a"
down_revision = None
[(revision := y) for y in "b"]
