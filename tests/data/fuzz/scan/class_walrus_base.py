revision = "a"
down_revision = None
class A((revision := object)):
    pass
