type = "x"
revision = "a"
down_revision = None
