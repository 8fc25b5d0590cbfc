revision = "a"
(revision): str = "b"
down_revision = None
