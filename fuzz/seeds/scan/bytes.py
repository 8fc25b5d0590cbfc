revision = b"a"
down_revision = None
