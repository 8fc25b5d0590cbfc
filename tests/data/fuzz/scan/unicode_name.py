révision = "b"
revision = "a"
down_revision = None
