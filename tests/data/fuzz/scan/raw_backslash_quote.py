revision = r"a\"b"
down_revision = None
