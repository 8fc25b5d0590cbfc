# it's a "comment
revision = "a"  # "x
down_revision = None
