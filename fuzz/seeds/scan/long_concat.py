revision = ("a" "b"
   "c" """d""")
down_revision = None
