revision = "a"
down_revision = None
revision[0] = "b"
