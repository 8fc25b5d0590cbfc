revision = "a"
for revision in ["b"]: pass
down_revision = None
