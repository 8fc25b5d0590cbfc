revision = "a"
down_revision = None
x: (revision := "b") = 1
