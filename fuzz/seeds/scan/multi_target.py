x, revision = 1, "a"
down_revision = None
