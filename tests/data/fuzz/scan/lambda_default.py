revision = "a"
down_revision = None
f = lambda x=(revision := "b"): x
