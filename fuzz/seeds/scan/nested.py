revision = ((("a")))
down_revision = [(("b"))]
