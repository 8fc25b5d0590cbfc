revision = "a"
down_revision = None
x = 1 + \
  2
