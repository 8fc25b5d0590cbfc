print(revision := "z")
revision = "a"
down_revision = None
