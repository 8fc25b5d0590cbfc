revision = "a"
down_revision = None
def f():
    global revision
    revision = "b"
