revision = f"abc"
down_revision = None
