revision = "a"
del revision
down_revision = None
