revision = "a"
down_revision = None
def f(x=(revision := "b")):
    pass
