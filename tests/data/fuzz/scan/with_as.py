revision = "a"
down_revision = None
with open(x) as revision:
    pass
