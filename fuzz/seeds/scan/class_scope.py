class A:
    revision = "inner"
revision = "outer"
down_revision = None
def f():
    down_revision = "x"
