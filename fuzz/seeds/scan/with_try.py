try:
    import x
except ImportError:
    pass
revision = "a"
down_revision = "b"
